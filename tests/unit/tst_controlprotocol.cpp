// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The control protocol's pure parts: JSON round trips, request parsing and its error codes,
// and line framing with the size limit.

#include <qpsqlhacontrolprotocol_p.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtTest/qtest.h>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;
namespace Protocol = QPsqlHa::ControlProtocol;

class tst_ControlProtocol : public QObject
{
    Q_OBJECT

private slots:
    void processRoundTrip();
    void patroniRoundTrip();
    void hostileNumbers();
    void stateTexts();
    void requests_data();
    void requests();
    void malformedRequests_data();
    void malformedRequests();
    void replies();
    void lineFraming();
    void oversizedLines();
};

void tst_ControlProtocol::processRoundTrip()
{
    NodeStatus primary;
    primary.address = u"127.0.0.1:5432"_s;
    primary.host = u"127.0.0.1"_s;
    primary.port = 5432;
    primary.role = NodeRole::Primary;
    primary.state = NodeState::Online;
    primary.queries = 9007199254740000ULL; // large counters survive (JSON numbers are doubles)
    primary.errors = 3;
    primary.retries = 1;
    primary.lastStateChange = QDateTime(QDate(2026, 11, 26), QTime(9, 0, 0, 123), Qt::UTC);
    primary.responseTimeUs = 850;
    NodeStatus reader = primary;
    reader.address = u"[::1]:5433"_s;
    reader.host = u"::1"_s;
    reader.port = 5433;
    reader.role = NodeRole::Reader;
    reader.state = NodeState::OfflineByHand;
    reader.lastError = u"connection refused \"quoted\"\nsecond line"_s;

    ProcessStatus process;
    process.pid = 4242;
    process.application = u"orders-service"_s;
    process.protocol = Protocol::Version;
    process.library = u"0.1.0"_s;
    ClusterStatus cluster;
    cluster.name = u"first_db"_s;
    cluster.nodes = {primary, reader};
    process.clusters = {cluster};

    const QByteArray wire = Protocol::encode(Protocol::processToJson(process));
    QVERIFY(wire.endsWith('\n'));
    QCOMPARE(wire.count('\n'), 1); // one message, one line, whatever the texts contain
    ProcessStatus decoded;
    QVERIFY(Protocol::processFromJson(QJsonDocument::fromJson(wire).object(), &decoded));
    QCOMPARE(decoded.pid, process.pid);
    QCOMPARE(decoded.application, process.application);
    QCOMPARE(decoded.clusters.size(), 1);
    QCOMPARE(decoded.clusters.first().name, u"first_db"_s);
    const QList<NodeStatus> &nodes = decoded.clusters.first().nodes;
    QCOMPARE(nodes.size(), 2);
    QCOMPARE(nodes.at(0).queries, primary.queries);
    QCOMPARE(nodes.at(0).role, NodeRole::Primary);
    QCOMPARE(nodes.at(0).lastStateChange, primary.lastStateChange);
    QCOMPARE(nodes.at(0).responseTimeUs, qint64(850));
    QCOMPARE(nodes.at(1).address, reader.address);
    QCOMPARE(nodes.at(1).state, NodeState::OfflineByHand);
    QCOMPARE(nodes.at(1).lastError, reader.lastError);
    QCOMPARE(nodes.at(1).cluster, u"first_db"_s);

    QVERIFY(!Protocol::processFromJson(QJsonObject {{u"pid"_s, u"x"_s}}, &decoded));
    QJsonObject badNode = Protocol::nodeToJson(primary);
    badNode.insert(u"state"_s, u"sleeping"_s);
    NodeStatus node;
    QVERIFY(!Protocol::nodeFromJson(badNode, &node));
}

// Where a Patroni-followed cluster's members come from: optional objects that survive the round
// trip, and are absent (not empty) for clusters and nodes that are not Patroni's.
void tst_ControlProtocol::patroniRoundTrip()
{
    NodeStatus listed;
    listed.address = u"127.0.0.1:5433"_s;
    listed.host = u"127.0.0.1"_s;
    listed.port = 5433;
    listed.patroniMember = u"m1"_s;
    listed.patroniRole = u"replica"_s;
    listed.patroniState = u"streaming"_s;
    listed.patroniLagBytes = 4096;
    listed.patroniNoLoadBalance = true;
    NodeStatus plain = listed;
    plain.address = u"127.0.0.1:5434"_s;
    plain.port = 5434;
    plain.patroniMember.clear();

    ClusterStatus followed;
    followed.name = u"orders"_s;
    followed.nodes = {listed, plain};
    followed.source.patroni = true;
    followed.source.scope = u"demo"_s;
    followed.source.url = u"http://127.0.0.1:8008"_s;
    followed.source.members = {u"m0"_s, u"m1"_s};
    followed.source.lastAnswer = QDateTime(QDate(2026, 12, 3), QTime(20, 14, 5, 120), Qt::UTC);
    followed.source.error = u"Patroni unreachable"_s;
    ClusterStatus fixed;
    fixed.name = u"fixed"_s;
    fixed.nodes = {plain};

    ProcessStatus process;
    process.pid = 1;
    process.clusters = {followed, fixed};
    const QJsonObject json = Protocol::processToJson(process);
    const QJsonArray clusters = json.value(u"clusters"_s).toArray();
    QVERIFY(clusters.at(0).toObject().contains(u"patroni"_s));
    QVERIFY(!clusters.at(1).toObject().contains(u"patroni"_s));
    QVERIFY(!Protocol::nodeToJson(plain).contains(u"patroni"_s));

    ProcessStatus decoded;
    QVERIFY(Protocol::processFromJson(json, &decoded));
    const TopologySource &source = decoded.clusters.at(0).source;
    QVERIFY(source.patroni);
    QCOMPARE(source.scope, u"demo"_s);
    QCOMPARE(source.url, followed.source.url);
    QCOMPARE(source.members, followed.source.members);
    QCOMPARE(source.lastAnswer, followed.source.lastAnswer);
    QCOMPARE(source.error, followed.source.error);
    QVERIFY(!decoded.clusters.at(1).source.patroni);
    const NodeStatus &node = decoded.clusters.at(0).nodes.at(0);
    QCOMPARE(node.patroniMember, u"m1"_s);
    QCOMPARE(node.patroniRole, u"replica"_s);
    QCOMPARE(node.patroniState, u"streaming"_s);
    QCOMPARE(node.patroniLagBytes, qint64(4096));
    QVERIFY(node.patroniNoLoadBalance);
    QVERIFY(decoded.clusters.at(0).nodes.at(1).patroniMember.isEmpty());
    QCOMPARE(decoded.clusters.at(0).nodes.at(1).patroniLagBytes, qint64(-1));
}

// Numbers from a peer are not trusted: out of range, negative or not numbers at all, they decode
// clamped or as 0, never through an out-of-range cast (the fuzzer found "pid": 1e73).
void tst_ControlProtocol::hostileNumbers()
{
    QCOMPARE(Protocol::integerFromJson(QJsonValue(1e73)), qint64(1) << 53);
    QCOMPARE(Protocol::integerFromJson(QJsonValue(-1e300)), -(qint64(1) << 53));
    QCOMPARE(Protocol::integerFromJson(QJsonValue(42.9)), qint64(42));
    QCOMPARE(Protocol::integerFromJson(QJsonValue(u"7"_s), -1), qint64(-1));
    QCOMPARE(Protocol::integerFromJson(QJsonValue(), -1), qint64(-1));
    QCOMPARE(Protocol::counterFromJson(QJsonValue(-5)), quint64(0));
    QCOMPARE(Protocol::counterFromJson(QJsonValue(1e20)), quint64(1) << 53);

    const QByteArray wire = "{\"pid\":1e73,\"clusters\":[{\"name\":\"c\",\"nodes\":[{"
                            "\"address\":\"h:2\",\"port\":2,\"role\":\"reader\","
                            "\"state\":\"online\",\"queries\":-1e300,\"errors\":1e300,"
                            "\"retries\":\"x\"}]}]}";
    ProcessStatus decoded;
    QVERIFY(Protocol::processFromJson(QJsonDocument::fromJson(wire).object(), &decoded));
    QCOMPARE(decoded.pid, qint64(1) << 53);
    const NodeStatus &node = decoded.clusters.first().nodes.first();
    QCOMPARE(node.queries, quint64(0));
    QCOMPARE(node.errors, quint64(1) << 53);
    QCOMPARE(node.retries, quint64(0));
    // Not sent by processes from before `qpsqlha-ctl metrics`: unmeasured.
    QCOMPARE(node.responseTimeUs, qint64(-1));
}

void tst_ControlProtocol::stateTexts()
{
    QCOMPARE(nodeStateText(NodeState::Online), u"online"_s);
    QCOMPARE(nodeStateText(NodeState::Failed), u"offline: failed"_s);
    QCOMPARE(nodeStateText(NodeState::OfflineByHand), u"offline: by hand"_s);
    QCOMPARE(nodeRoleText(NodeRole::Primary), u"primary"_s);
    QCOMPARE(nodeRoleText(NodeRole::Reader), u"reader"_s);
    for (NodeState state : {NodeState::Online, NodeState::Failed, NodeState::OfflineByHand}) {
        NodeState back = NodeState::Online;
        QVERIFY(Protocol::stateFromText(nodeStateText(state), &back));
        QCOMPARE(back, state);
    }
}

void tst_ControlProtocol::requests_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<int>("command");
    QTest::addColumn<QString>("cluster");
    QTest::addColumn<QString>("node");
    QTest::addColumn<bool>("online");
    QTest::newRow("list") << QByteArray(R"({"v":1,"cmd":"list"})") << int(Protocol::Command::List)
                          << QString() << QString() << true;
    QTest::newRow("subscribe") << QByteArray(R"({"v":1,"id":"a","cmd":"subscribe"})")
                               << int(Protocol::Command::Subscribe) << QString() << QString()
                               << true;
    QTest::newRow("offline") << QByteArray(R"({"v":1,"id":7,"cmd":"set-state","cluster":"c",)"
                                           R"("node":"h:1","online":false})")
                             << int(Protocol::Command::SetState) << u"c"_s << u"h:1"_s << false;
    QTest::newRow("online, spaces")
        << QByteArray(R"(  { "cmd" : "set-state", "v" : 1, )"
                      R"("online" : true, "node" : "[::1]:5", )"
                      R"("cluster" : "x y" }  )")
        << int(Protocol::Command::SetState) << u"x y"_s << u"[::1]:5"_s << true;
}

void tst_ControlProtocol::requests()
{
    QFETCH(QByteArray, line);
    Protocol::Request request;
    QString code;
    QString message;
    QVERIFY2(Protocol::parseRequest(line, &request, &code, &message), qPrintable(message));
    QTEST(int(request.command), "command");
    QTEST(request.cluster, "cluster");
    QTEST(request.node, "node");
    QTEST(request.online, "online");
}

void tst_ControlProtocol::malformedRequests_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("code");
    QTest::newRow("not json") << QByteArray("hello") << u"bad-json"_s;
    QTest::newRow("array") << QByteArray("[1,2]") << u"bad-json"_s;
    QTest::newRow("string") << QByteArray("\"list\"") << u"bad-json"_s;
    QTest::newRow("truncated") << QByteArray(R"({"v":1,"cmd":"li)") << u"bad-json"_s;
    QTest::newRow("binary") << QByteArray("\x00\xff\xfe{\x01", 5) << u"bad-json"_s;
    QTest::newRow("no version") << QByteArray(R"({"cmd":"list"})") << u"bad-version"_s;
    QTest::newRow("version 2") << QByteArray(R"({"v":2,"cmd":"list"})") << u"bad-version"_s;
    QTest::newRow("version text") << QByteArray(R"({"v":"1","cmd":"list"})") << u"bad-version"_s;
    QTest::newRow("no command") << QByteArray(R"({"v":1})") << u"bad-request"_s;
    QTest::newRow("command not text") << QByteArray(R"({"v":1,"cmd":5})") << u"bad-request"_s;
    QTest::newRow("unknown command")
        << QByteArray(R"({"v":1,"cmd":"drop-database"})") << u"unknown-command"_s;
    QTest::newRow("set-state without node")
        << QByteArray(R"({"v":1,"cmd":"set-state","cluster":"c","online":false})")
        << u"bad-request"_s;
    QTest::newRow("set-state online as text")
        << QByteArray(R"({"v":1,"cmd":"set-state","cluster":"c","node":"h:1","online":"no"})")
        << u"bad-request"_s;
    QTest::newRow("set-state cluster as number")
        << QByteArray(R"({"v":1,"cmd":"set-state","cluster":1,"node":"h:1","online":true})")
        << u"bad-request"_s;
}

void tst_ControlProtocol::malformedRequests()
{
    QFETCH(QByteArray, line);
    Protocol::Request request;
    QString code;
    QString message;
    QVERIFY(!Protocol::parseRequest(line, &request, &code, &message));
    QTEST(code, "code");
    QVERIFY(!message.isEmpty());
}

void tst_ControlProtocol::replies()
{
    const QJsonObject error = Protocol::errorReply(QJsonValue(3), u"no-such-node"_s, u"m"_s);
    QCOMPARE(error.value(u"v"_s).toInt(), 1);
    QCOMPARE(error.value(u"id"_s).toInt(), 3);
    QCOMPARE(error.value(u"ok"_s).toBool(), false);
    QCOMPARE(error.value(u"error"_s).toString(), u"no-such-node"_s);
    QVERIFY(!Protocol::okReply(QJsonValue::Undefined).contains(u"id"_s));
}

void tst_ControlProtocol::lineFraming()
{
    Protocol::LineReader reader;
    QByteArray line;
    reader.append("{\"a\":");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::None);
    reader.append("1}\n\n  \n{\"b\":2}\n{\"c\"");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line);
    QCOMPARE(line, QByteArray("{\"a\":1}"));
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line); // blank lines skipped
    QCOMPARE(line, QByteArray("{\"b\":2}"));
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::None);
    reader.append(":3}\n");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line);
    QCOMPARE(line, QByteArray("{\"c\":3}"));
}

void tst_ControlProtocol::oversizedLines()
{
    Protocol::LineReader reader;
    QByteArray line;
    // Arriving in pieces, without a newline: reported once, never buffered past the limit.
    const QByteArray chunk(16384, 'x');
    int tooLarge = 0;
    for (int i = 0; i < 20; ++i) {
        reader.append(chunk);
        for (auto r = reader.next(&line); r != Protocol::LineReader::Result::None;
             r = reader.next(&line)) {
            QCOMPARE(r, Protocol::LineReader::Result::TooLarge);
            ++tooLarge;
        }
    }
    QCOMPARE(tooLarge, 1);
    reader.append("still the same line\n{\"v\":1}\n");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line);
    QCOMPARE(line, QByteArray("{\"v\":1}"));

    // In one piece with its newline.
    reader.append(QByteArray(Protocol::MaximumLineLength + 1, 'y') + "\n{\"w\":1}\n");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::TooLarge);
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line);
    QCOMPARE(line, QByteArray("{\"w\":1}"));
    // Exactly at the limit is fine.
    reader.append(QByteArray(Protocol::MaximumLineLength, 'z') + "\n");
    QCOMPARE(reader.next(&line), Protocol::LineReader::Result::Line);
    QCOMPARE(line.size(), Protocol::MaximumLineLength);
}

QTEST_APPLESS_MAIN(tst_ControlProtocol)

#include "tst_controlprotocol.moc"
