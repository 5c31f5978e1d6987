# qpsqlha_add_cluster_fixture(NAME [REPLICAS n] [PORT p] [STATE_DIR dir] [LABELS l...]
#                             [TESTS test...])
#
# Adds the CTest tests NAME_start and NAME_stop, which start a throw-away PostgreSQL primary with
# n streaming replicas (default 2) on free loopback ports before the first test that needs the
# fixture NAME and delete it after the last one (FIXTURES_SETUP / FIXTURES_CLEANUP), so that all
# tests of a run share one cluster. Each test in TESTS (already added) gets FIXTURES_REQUIRED
# NAME and, in its environment, QPSQLHA_TEST_CLUSTER_DIR (the cluster's state directory) and
# QPSQLHA_TESTCLUSTER (the script), from which QPsqlHaTest::TestCluster (qpsqlhatestcluster.h)
# reads the cluster. For tests added later: qpsqlha_use_cluster_fixture(NAME test...).
#
# Both run qpsqlha-testcluster, the same script QPSQLHA's own tests use; QPSQLHA_TESTCLUSTER_EXECUTABLE
# names it (set by find_package(QPsqlHa)).

function(qpsqlha_add_cluster_fixture name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "REPLICAS;PORT;STATE_DIR" "LABELS;TESTS")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "qpsqlha_add_cluster_fixture: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT QPSQLHA_TESTCLUSTER_EXECUTABLE)
        message(FATAL_ERROR "qpsqlha_add_cluster_fixture: QPSQLHA_TESTCLUSTER_EXECUTABLE is not set")
    endif()
    if(NOT DEFINED arg_REPLICAS)
        set(arg_REPLICAS 2)
    endif()
    if(NOT arg_STATE_DIR)
        set(arg_STATE_DIR "${CMAKE_CURRENT_BINARY_DIR}/${name}.testcluster")
    endif()
    set(start_options --replicas ${arg_REPLICAS})
    if(arg_PORT)
        list(APPEND start_options --port ${arg_PORT})
    endif()
    add_test(NAME ${name}_start
             COMMAND bash ${QPSQLHA_TESTCLUSTER_EXECUTABLE} start ${arg_STATE_DIR} ${start_options})
    add_test(NAME ${name}_stop COMMAND bash ${QPSQLHA_TESTCLUSTER_EXECUTABLE} stop ${arg_STATE_DIR})
    set_tests_properties(${name}_start PROPERTIES FIXTURES_SETUP ${name} RESOURCE_LOCK ${name}
                                                  TIMEOUT 180)
    set_tests_properties(${name}_stop PROPERTIES FIXTURES_CLEANUP ${name} RESOURCE_LOCK ${name}
                                                 TIMEOUT 120)
    if(arg_LABELS)
        set_tests_properties(${name}_start ${name}_stop PROPERTIES LABELS "${arg_LABELS}")
    endif()
    set_property(GLOBAL PROPERTY QPSQLHA_CLUSTER_FIXTURE_DIR_${name} "${arg_STATE_DIR}")
    if(arg_TESTS)
        qpsqlha_use_cluster_fixture(${name} ${arg_TESTS})
    endif()
endfunction()

# qpsqlha_use_cluster_fixture(NAME test...): the tests need the cluster of fixture NAME.
function(qpsqlha_use_cluster_fixture name)
    get_property(dir GLOBAL PROPERTY QPSQLHA_CLUSTER_FIXTURE_DIR_${name})
    if(NOT dir)
        message(FATAL_ERROR "qpsqlha_use_cluster_fixture: no fixture ${name} (qpsqlha_add_cluster_fixture first)")
    endif()
    foreach(test IN LISTS ARGN)
        set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED ${name})
        set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
                     "QPSQLHA_TEST_CLUSTER_DIR=${dir}"
                     "QPSQLHA_TESTCLUSTER=${QPSQLHA_TESTCLUSTER_EXECUTABLE}")
    endforeach()
endfunction()
