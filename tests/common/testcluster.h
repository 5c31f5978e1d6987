// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_TESTCLUSTER_H
#define QPSQLHA_TESTCLUSTER_H

#include <QtCore/qstring.h>
#include <QtSql/qsqldatabase.h>
#include <memory>

namespace QPsqlHaTest {

enum class Node { Primary, Reader1, Reader2 };

// The live cluster started by testkit/qpsqlha-testcluster (the `pgcluster` CTest fixture): one
// primary and two streaming replicas on loopback.
//
// Where it is comes from the file named by QPSQLHA_TEST_CLUSTER_ENV (the script's cluster.env);
// nodes are stopped and started through the script named by QPSQLHA_CLUSTER_SCRIPT. Nothing here
// skips or fails a test by itself: check isValid() and report errorString(), and check the
// return values.
class TestCluster
{
public:
    static TestCluster &instance();
    // A cluster of its own (fresh ports and data), for tests that change who is primary: started
    // now, stopped and deleted when the object goes. Check isValid()/errorString().
    static std::unique_ptr<TestCluster> startPrivate();
    ~TestCluster();

    bool isValid() const { return m_valid; }
    QString errorString() const { return m_error; }

    QString host() const { return m_host; }
    int port(Node node) const;
    QString database() const { return m_database; }
    QString user() const { return m_user; }
    QString password() const { return m_password; }
    // The CA that signed every node's certificate, and one that signed none of them.
    QString sslCa() const { return m_sslCa; }
    QString sslOtherCa() const { return m_sslOtherCa; }
    // The directory of every node's Unix-domain socket. A node reached through it is another node
    // to QPSQLHA than the same server over TCP: nothing in the two addresses tells them apart.
    QString serverSocketDirectory() const { return m_serverSocketDirectory; }
    // The readers as the driver's option wants them: "127.0.0.1:P1,127.0.0.1:P2".
    QString readersOption() const;

    // Stop or start one node through the script; both wait until done and are no-ops when the
    // node already is in that state. A failure is logged with the script's output.
    bool stopNode(Node node, bool immediate = true);
    bool startNode(Node node);
    // pg_ctl promote; returns once the node accepts writes.
    bool promote(Node node);
    // SIGSTOP / SIGCONT every process of the node: it hangs with its connections open.
    bool freeze(Node node);
    bool thaw(Node node);
    // Starts every stopped node, then waits until both replicas stream from the primary again.
    bool ensureAllRunning();
    // True if the node accepts connections right now.
    bool isRunning(Node node) const;

    // Runs one statement on a node over libpq (not Qt) and returns the first column of the first
    // row ("" for no rows or NULL). On failure, returns a null string and sets *error.
    QString queryValue(Node node, const QString &sql, QString *error = nullptr) const;
    bool execOn(Node node, const QString &sql, QString *error = nullptr) const;

    // Waits until every running reader has replayed the primary's current WAL position, so that
    // what was committed on the primary before the call can be read on the readers.
    bool waitForReplication(int timeoutMs = 10000) const;

    // A plain QPSQL connection (Qt's stock driver) to one node, already opened (check isOpen()).
    QSqlDatabase openDirect(Node node, const QString &connectionName) const;

    // The directory of the env file: the STATE_DIR the script was given.
    QString stateDir() const { return m_stateDir; }

    // "primary", "reader1", "reader2": the names the script uses.
    static QString nodeName(Node node);

private:
    explicit TestCluster(const QString &envFile);
    bool runScript(const QStringList &arguments, int timeoutMs) const;
    bool waitForStreaming(int timeoutMs) const;

    bool m_valid = false;
    QString m_error;
    QString m_envFile;
    QString m_stateDir;
    QString m_script;
    bool m_ownsCluster = false; // startPrivate(): stopped by the destructor
    QString m_host;
    int m_primaryPort = 0;
    int m_reader1Port = 0;
    int m_reader2Port = 0;
    QString m_database;
    QString m_user;
    QString m_password;
    QString m_sslCa;
    QString m_sslOtherCa;
    QString m_serverSocketDirectory;
};

} // namespace QPsqlHaTest

#endif // QPSQLHA_TESTCLUSTER_H
