// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// Several connections of one process on the live cluster: connections of one primary with other
// reader lists open side by side and each routes to its own readers; a server's failure and its
// return, seen under one connection's nodes, hold for every connection listing that server; and
// once the application closed every connection, nothing of ours stays on any server.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qset.h>
#include <QtTest/qtest.h>

#include <unistd.h>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

constexpr Node AllNodes[] = {Node::Primary, Node::Reader1, Node::Reader2};

// The local TCP ports of this process's sockets: its open sockets' inodes (/proc/self/fd) looked
// up in the kernel's socket tables. A server shows a client's port in pg_stat_activity, so this
// is how a backend is known to be ours.
QSet<int> ownTcpPorts()
{
    QSet<QByteArray> inodes;
    const QDir fds(u"/proc/self/fd"_s);
    for (const QString &fd : fds.entryList(QDir::Files | QDir::System)) {
        char target[256];
        const ssize_t length
            = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), target, sizeof target);
        const QByteArray link(target, length > 0 ? int(length) : 0);
        if (link.startsWith("socket:["))
            inodes.insert(link.mid(8, link.size() - 9));
    }
    QSet<int> ports;
    for (const char *table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // header
        while (!file.atEnd()) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            const QList<QByteArray> fields = file.readLine().simplified().split(' ');
            if (fields.size() < 10 || !inodes.contains(fields[9]))
                continue;
            bool ok = false;
            const int port = fields[1].mid(fields[1].lastIndexOf(':') + 1).toInt(&ok, 16);
            if (ok)
                ports.insert(port);
        }
    }
    return ports;
}

QString portList(const QSet<int> &ports)
{
    QStringList list;
    for (int port : ports)
        list.append(QString::number(port));
    return list.isEmpty() ? u"0"_s : list.join(u',');
}

} // namespace

class tst_Connections : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void otherReaderListsOpenSideBySide();
    void serverHealthIsSharedByEveryConnection();
    void nothingStaysAfterTheLastClose();

private:
    // A connection of the test cluster's primary with these readers and options and no
    // QPSQLHA_CLUSTER: the name is the default one.
    QSqlDatabase connection(const QString &name, const QString &readers,
                            const QString &options = QString());
    // Backends on `node` from a client port in `ports`, but the asking one; -1 on error.
    int backendsFrom(Node node, const QSet<int> &ports, const QString &condition = u"true"_s);

    TestCluster &m_test = TestCluster::instance();
    QStringList m_connections;
};

void tst_Connections::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
}

void tst_Connections::cleanup()
{
    for (const QString &name : std::as_const(m_connections))
        dropDatabase(name);
    m_connections.clear();
    QVERIFY(m_test.ensureAllRunning());
}

void tst_Connections::cleanupTestCase()
{
    QVERIFY(m_test.ensureAllRunning());
}

QSqlDatabase tst_Connections::connection(const QString &name, const QString &readers,
                                         const QString &options)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQLHA"_s, name);
    db.setHostName(m_test.host());
    db.setPort(m_test.port(Node::Primary));
    db.setDatabaseName(m_test.database());
    db.setUserName(m_test.user());
    db.setPassword(m_test.password());
    db.setConnectOptions(u"QPSQLHA_READERS=%1;connect_timeout=3"_s.arg(readers)
                         + (options.isEmpty() ? QString() : u';' + options));
    m_connections.append(name);
    return db;
}

int tst_Connections::backendsFrom(Node node, const QSet<int> &ports, const QString &condition)
{
    QString error;
    const QString count
        = m_test.queryValue(node,
                            u"SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                            "AND client_addr IS NOT NULL AND client_port IN (%1) AND %2"_s.arg(
                                portList(ports), condition),
                            &error);
    if (count.isNull()) {
        qWarning() << "pg_stat_activity on" << TestCluster::nodeName(node) << ":" << error;
        return -1;
    }
    return count.toInt();
}

void tst_Connections::otherReaderListsOpenSideBySide()
{
    const QString reader1 = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Reader1));
    QSqlDatabase both = connection(u"both"_s, m_test.readersOption());
    QSqlDatabase first = connection(u"first"_s, reader1);
    QVERIFY2(both.open(), qPrintable(both.lastError().text()));
    QVERIFY2(first.open(), qPrintable(first.lastError().text()));
    // Another connection with one of the two definitions joins that one's cluster.
    QSqlDatabase firstAgain = QSqlDatabase::cloneDatabase(first, u"first-again"_s);
    m_connections.append(u"first-again"_s);
    QVERIFY2(firstAgain.open(), qPrintable(firstAgain.lastError().text()));

    const QSet<int> readers {m_test.port(Node::Reader1), m_test.port(Node::Reader2)};
    QSqlQuery onBoth(both);
    QSqlQuery onFirst(first);
    QSqlQuery onFirstAgain(firstAgain);
    for (int i = 0; i < 20; ++i) {
        QVERIFY(readers.contains(servedBy(onBoth)));
        QCOMPARE(servedBy(onFirst), m_test.port(Node::Reader1));
        QCOMPARE(servedBy(onFirstAgain), m_test.port(Node::Reader1));
    }
    const QString write = u"/*qpsqlha:primary*/ SELECT inet_server_port()"_s;
    QCOMPARE(servedBy(onBoth, write), m_test.port(Node::Primary));
    QCOMPARE(servedBy(onFirst, write), m_test.port(Node::Primary));

    // Two clusters under the primary's name, each with its own nodes, as the tools list them.
    const QString derived
        = u"%1:%2/%3"_s.arg(m_test.host()).arg(m_test.port(Node::Primary)).arg(m_test.database());
    QHash<QString, int> nodesByName;
    for (const QPsqlHa::ClusterStatus &cluster : QPsqlHa::clusters())
        nodesByName.insert(cluster.name, int(cluster.nodes.size()));
    QCOMPARE(nodesByName.value(derived), 3);
    QCOMPARE(nodesByName.value(derived + u"#2"_s), 2);
    QVERIFY(!nodesByName.contains(derived + u"#3"_s));
    QVERIFY(QPsqlHa::node(derived + u"#2"_s, m_test.host(), m_test.port(Node::Reader1)).isValid());
    QVERIFY(!QPsqlHa::node(derived + u"#2"_s, m_test.host(), m_test.port(Node::Reader2)).isValid());

    // A name the application gives is one definition: a second one is refused, clearly.
    QSqlDatabase named = connection(u"named"_s, m_test.readersOption(), u"QPSQLHA_CLUSTER=conn"_s);
    QVERIFY(named.open());
    QSqlDatabase clash = connection(u"clash"_s, reader1, u"QPSQLHA_CLUSTER=conn"_s);
    QVERIFY(!clash.open());
    QVERIFY2(clash.lastError().text().contains(u"QPSQLHA_CLUSTER"_s),
             qPrintable(clash.lastError().text()));
}

void tst_Connections::serverHealthIsSharedByEveryConnection()
{
    // `watched` probes every 200 ms; `lazy` once a minute, so that what it knows of reader1
    // within seconds it knows from the other connection's nodes. The names differ: no clash.
    const QString reader1 = u"%1:%2"_s.arg(m_test.host()).arg(m_test.port(Node::Reader1));
    QSqlDatabase watched
        = connection(u"watched"_s, m_test.readersOption(),
                     u"QPSQLHA_CLUSTER=conn-watched;QPSQLHA_HEALTH_INTERVAL=200"_s);
    QSqlDatabase lazy = connection(u"lazy"_s, reader1,
                                   u"QPSQLHA_CLUSTER=conn-lazy;QPSQLHA_HEALTH_INTERVAL=60000"_s);
    QVERIFY2(watched.open(), qPrintable(watched.lastError().text()));
    QVERIFY2(lazy.open(), qPrintable(lazy.lastError().text()));
    QPsqlHa::NodeHandle watchedReader1 = nodeHandle(u"conn-watched"_s, Node::Reader1);
    QPsqlHa::NodeHandle lazyReader1 = nodeHandle(u"conn-lazy"_s, Node::Reader1);
    QVERIFY(lazyReader1.isValid());
    QVERIFY(waitUntil([&] { return lazyReader1.isOnline() && watchedReader1.isOnline(); }, 5000)
            >= 0);
    QSqlQuery onLazy(lazy);
    QCOMPARE(servedBy(onLazy), m_test.port(Node::Reader1));

    QVERIFY(m_test.stopNode(Node::Reader1, true));
    // Nothing runs on `lazy`: only the other cluster's probe can find the failure.
    QVERIFY(waitUntil([&] { return watchedReader1.state() == QPsqlHa::NodeState::Failed; }, 5000)
            >= 0);
    QVERIFY(waitUntil([&] { return lazyReader1.state() == QPsqlHa::NodeState::Failed; }, 1000)
            >= 0);
    const quint64 lazyErrors = lazyReader1.errors();
    // Its reads go to the primary without trying the dead reader first.
    for (int i = 0; i < 10; ++i)
        QCOMPARE(servedBy(onLazy), m_test.port(Node::Primary));
    QCOMPARE(lazyReader1.errors(), lazyErrors);
    QCOMPARE(lazyReader1.retries(), quint64(0));

    // The return, found by the other cluster's probe, is the lazy one's too.
    QVERIFY(m_test.startNode(Node::Reader1));
    QVERIFY(waitUntil([&] { return watchedReader1.isOnline(); }, 15000) >= 0);
    QVERIFY(waitUntil([&] { return lazyReader1.isOnline(); }, 1000) >= 0);
    QVERIFY(waitUntil([&] { return servedBy(onLazy) == m_test.port(Node::Reader1); }, 5000, 50)
            >= 0);

    // The other way round, with the watched connection closed (its cluster probes nothing
    // then): the lazy connection's own statement finds reader1 gone, and the watched cluster
    // knows it when it opens again.
    watched = QSqlDatabase();
    dropDatabase(u"watched"_s);
    m_connections.removeAll(u"watched"_s);
    QVERIFY(m_test.stopNode(Node::Reader1, true));
    QCOMPARE(servedBy(onLazy), m_test.port(Node::Primary)); // moved after reader1 failed
    QVERIFY(lazyReader1.retries() > 0);
    QCOMPARE(watchedReader1.state(), QPsqlHa::NodeState::Failed);
}

void tst_Connections::nothingStaysAfterTheLastClose()
{
    // Connections opened, used and removed, as an application does with short-lived ones; two
    // clusters, one of them the default-named one, so that every cluster must let go.
    constexpr int Connections = 12;
    QSet<int> seenPorts;
    for (int i = 0; i < Connections; ++i) {
        const QString options = i % 2 ? u"QPSQLHA_HEALTH_INTERVAL=200"_s
                                      : u"QPSQLHA_CLUSTER=conn-close;QPSQLHA_HEALTH_INTERVAL=200"_s;
        QSqlDatabase db = connection(u"close-%1"_s.arg(i), m_test.readersOption(), options);
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
        QSqlQuery query(db);
        QVERIFY(servedBy(query) > 0);
        QVERIFY(query.exec(u"SELECT pg_is_in_recovery()"_s));
    }
    // Every node holds working connections and, as soon as it has run, a probe of ours.
    for (Node node : AllNodes) {
        QVERIFY(waitUntil(
                    [&] {
                        seenPorts += ownTcpPorts();
                        return backendsFrom(node, seenPorts,
                                            u"application_name = 'qpsqlha-health'"_s)
                            > 0;
                    },
                    5000, 50)
                >= 0);
        QVERIFY(backendsFrom(node, seenPorts) > 1);
    }
    seenPorts += ownTcpPorts();

    for (const QString &name : std::as_const(m_connections))
        dropDatabase(name);
    m_connections.clear();

    // No backend of this process on any node: none from a port it used, none from a port it
    // holds now.
    for (Node node : AllNodes) {
        const qint64 gone = waitUntil(
            [&] { return backendsFrom(node, seenPorts + ownTcpPorts()) == 0; }, 10000, 50);
        QVERIFY2(gone >= 0,
                 qPrintable(u"%1 backends of ours left on %2"_s
                                .arg(backendsFrom(node, seenPorts + ownTcpPorts()))
                                .arg(TestCluster::nodeName(node))));
        qInfo() << "no backend of ours on" << TestCluster::nodeName(node) << "after" << gone
                << "ms";
    }

    // The next open() makes them again: the connection works and the probes run.
    QSqlDatabase again = connection(u"again"_s, m_test.readersOption(),
                                    u"QPSQLHA_CLUSTER=conn-close;QPSQLHA_HEALTH_INTERVAL=200"_s);
    QVERIFY2(again.open(), qPrintable(again.lastError().text()));
    QSqlQuery query(again);
    QVERIFY(servedBy(query) > 0);
    for (Node node : AllNodes) {
        QVERIFY(waitUntil(
                    [&] {
                        return backendsFrom(node, ownTcpPorts(),
                                            u"application_name = 'qpsqlha-health'"_s)
                            == 1;
                    },
                    5000, 50)
                >= 0);
    }
}

QTEST_GUILESS_MAIN(tst_Connections)

#include "tst_connections.moc"
