# Unit tests of the front ends' common code (configuration and logging),
# included from this directory's CMakeLists.txt. Sources are named relative
# to this file so that it works from wherever it is included.
add_executable(common_tests
  ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/config_docs_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log_test.cpp
)
target_link_libraries(common_tests PRIVATE
  bounceseal_common PkgConfig::GLIB GTest::gtest_main Threads::Threads bounceseal_options)
include(GoogleTest)
gtest_discover_tests(common_tests DISCOVERY_TIMEOUT 60)
