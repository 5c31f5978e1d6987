# Man pages generated from the tools' own --help and --version, so that they never disagree with
# the program: help2man where Debian's is installed, else scripts/help2man-lite.sh (the help text
# as a page). Both gzipped, as Debian ships man pages.
find_program(QPSQLHA_HELP2MAN help2man)

# qpsqlha_add_man_page(TARGET "one-line description")
function(qpsqlha_add_man_page target description)
    # Sanitizer and fuzzer builds are for tests; they install nothing.
    if(NOT qpsqlha_sanitize MATCHES "^(off|0|false|no|)$" OR QPSQLHA_BUILD_FUZZERS)
        return()
    endif()
    set(page ${CMAKE_BINARY_DIR}/man/${target}.1)
    if(QPSQLHA_HELP2MAN)
        set(generate ${QPSQLHA_HELP2MAN} --no-info --section=1 "--name=${description}"
                     --output=${page} $<TARGET_FILE:${target}>)
    else()
        set(generate bash ${PROJECT_SOURCE_DIR}/scripts/help2man-lite.sh $<TARGET_FILE:${target}>
                     "${description}" ${page})
    endif()
    # offscreen: qpsqlha-monitor makes its QApplication before it parses the command line.
    add_custom_command(OUTPUT ${page}.gz
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen ${generate}
        COMMAND gzip -9nf ${page}
        DEPENDS ${target} ${PROJECT_SOURCE_DIR}/scripts/help2man-lite.sh
        COMMENT "Man page for ${target}"
        VERBATIM)
    add_custom_target(${target}_manpage ALL DEPENDS ${page}.gz)
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
