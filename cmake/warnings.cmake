# Compiler flags shared by every target (STYLE R4).
add_compile_options(
    -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes
    -Wno-unused-parameter -Wno-missing-field-initializers -fno-common -fstack-protector-strong)
add_compile_definitions(_GNU_SOURCE)
# Where the built-in buildpacks are when hearth runs from its build tree (make run, tests).
add_compile_definitions(HEARTH_BUILDPACKS_DIR="${CMAKE_SOURCE_DIR}/buildpacks")
if(HEARTH_WERROR)
    add_compile_options(-Werror)
endif()
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug" AND NOT HEARTH_ASAN)
    add_compile_definitions(_FORTIFY_SOURCE=3)
endif()
if(HEARTH_ASAN)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()
if(HEARTH_FUZZ)
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()
