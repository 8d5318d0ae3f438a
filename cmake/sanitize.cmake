# HOOKD_SANITIZE=asan builds everything (core, plugins, tests) with AddressSanitizer and
# UndefinedBehaviorSanitizer; tsan with ThreadSanitizer. Plugins get the same flags so a
# sanitized daemon can dlopen them.
if(HOOKD_SANITIZE STREQUAL "asan")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(HOOKD_SANITIZE STREQUAL "tsan")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT HOOKD_SANITIZE STREQUAL "")
  message(FATAL_ERROR "HOOKD_SANITIZE must be empty, asan or tsan, not '${HOOKD_SANITIZE}'")
endif()
