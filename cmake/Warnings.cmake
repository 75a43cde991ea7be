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
endif()
