# Compiler warnings and sanitizers, applied to every target of the project
# through the bounceseal_options interface library.
add_library(bounceseal_options INTERFACE)
target_compile_options(bounceseal_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference
  -Wformat=2 -Wimplicit-fallthrough)
if(BOUNCESEAL_WERROR)
  target_compile_options(bounceseal_options INTERFACE -Werror)
endif()
target_compile_definitions(bounceseal_options INTERFACE _FORTIFY_SOURCE=2)
target_compile_options(bounceseal_options INTERFACE -fstack-protector-strong)
if(BOUNCESEAL_SANITIZE)
  target_compile_options(bounceseal_options INTERFACE
    -fsanitize=${BOUNCESEAL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(bounceseal_options INTERFACE -fsanitize=${BOUNCESEAL_SANITIZE})
  # GCC 12's flow analysis sees the sanitizers' instrumentation and warns of
  # "maybe uninitialized" members inside libstdc++ (std::regex, std::function)
  # that the normal build does not: a known false positive.
  # The normal build keeps the warning, and the sanitizers check the real thing.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(bounceseal_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  # The same options and leak suppressions for every sanitized program,
  # including those that sendmail and procmail start without our
  # environment: cmake/lsan.supp is compiled in.
  file(READ ${CMAKE_CURRENT_LIST_DIR}/lsan.supp BOUNCESEAL_LSAN_SUPPRESSIONS)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/lsan.supp)
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/sanitizer/lsan_suppressions.inc
       CONTENT "R\"supp(@BOUNCESEAL_LSAN_SUPPRESSIONS@)supp\"\n" @ONLY)
  target_include_directories(bounceseal_options INTERFACE ${CMAKE_BINARY_DIR}/sanitizer)
  target_sources(bounceseal_options INTERFACE ${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cpp)
endif()
