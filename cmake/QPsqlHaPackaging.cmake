# `cpack -G DEB` in the build tree: one qpsqlha_<version>_<arch>.deb with everything
# `cmake --install` puts in place (plugin in Qt's own sqldrivers directory, libraries, headers,
# the CMake package, the tools with their man pages, desktop file and icon, the test-cluster kit).
# Dependencies: what dpkg-shlibdeps finds in the binaries, plus the QPSQL driver the plugin loads
# at run time (no ELF dependency shows it).
set(CPACK_PACKAGE_NAME qpsqlha)
set(CPACK_PACKAGE_VENDOR "The QPSQLHA authors")
set(CPACK_PACKAGE_CONTACT "The QPSQLHA authors <qpsqlha@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "QPSQLHA is a Qt SQL driver (QPSQLHA) that spreads reads over PostgreSQL streaming replicas
and sends writes to the primary, with failover. The package has the plugin, the core and
control libraries with headers and CMake package, qpsqlha-ctl, qpsqlha-monitor and the
test-cluster kit (qpsqlha-testcluster).")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-psql")
# qpsqlha-testcluster runs a PostgreSQL server and makes certificates; building against the
# package needs Qt's and libpq's development files.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql, openssl, qt6-base-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libpq-dev")
include(CPack)
