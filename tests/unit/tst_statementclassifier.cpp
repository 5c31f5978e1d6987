// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "classifiercases.h"

#include <qpsqlhasessionsql_p.h>

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qrandom.h>
#include <QtCore/qset.h>
#include <QtTest/qtest.h>

#include <iterator>
#include <utility>
#include <vector>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(QPsqlHa::Classification::Route)
Q_DECLARE_METATYPE(QPsqlHa::Classification::Reason)

namespace {

namespace Cases = QPsqlHaTest::ClassifierCases;
using namespace Cases;

const char *routeName(Classification::Route route)
{
    return route == Reader ? "reader" : "primary";
}

QByteArray flagNames(int flags)
{
    static constexpr std::pair<int, const char *> names[] = {
        {Begins, "BeginsTransaction"},
        {Ends, "EndsTransaction"},
        {Session, "ChangesSessionState"},
        {TempTable, "CreatesTempTable"},
        {Listens, "Listens"},
    };
    QByteArray result;
    for (const auto &[flag, name] : names) {
        if (flags & flag)
            result += (result.isEmpty() ? "" : "|") + QByteArray(name);
    }
    return result.isEmpty() ? QByteArray("NoFlags") : result;
}

// Data tags show the statement itself, with control characters made visible.
QByteArray tagFor(QStringView sql)
{
    QByteArray tag;
    for (QChar c : sql) {
        if (c == u'\n')
            tag += "\\n";
        else if (c == u'\t')
            tag += "\\t";
        else if (c == u'\r')
            tag += "\\r";
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            tag += "\\x" + QByteArray::number(c.unicode(), 16);
        else
            tag += QString(c).toUtf8();
    }
    return tag.isEmpty() ? QByteArray("<empty>") : tag;
}

void addColumns()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<Classification::Route>("route");
    QTest::addColumn<Classification::Reason>("reason");
    QTest::addColumn<int>("flags");
}

void row(const QString &sql, Classification::Route route, Classification::Reason reason,
         int flags = NoFlags)
{
    QTest::addRow("%s", tagFor(sql).constData()) << sql << route << reason << flags;
}

// For rows that only this test needs; the shared table is in classifiercases.h.
[[maybe_unused]] void row(const char *sql, Classification::Route route,
                          Classification::Reason reason, int flags = NoFlags)
{
    row(QString::fromUtf8(sql), route, reason, flags);
}

// Hands the shared table's rows to QTest as data rows.
class RowSink : public Sink
{
public:
    void add(const QString &sql, Classification::Route route, Classification::Reason reason,
             int flags) override
    {
        row(sql, route, reason, flags);
    }
};

// Classifies a copy of sql in a buffer of exactly its size, so that AddressSanitizer catches
// any read past the end (a QString is followed by a terminating null).
Classification classifyExact(const StatementClassifier &classifier, QStringView sql,
                             bool standardConformingStrings = true)
{
    const std::vector<char16_t> exact(sql.utf16(), sql.utf16() + sql.size());
    return classifier.classify(QStringView(exact.data(), qsizetype(exact.size())),
                               standardConformingStrings);
}

// standardConformingStrings: the session setting the rows are written for.
void check(const StatementClassifier &classifier, bool standardConformingStrings = true)
{
    QFETCH(QString, sql);
    QFETCH(Classification::Route, route);
    QFETCH(Classification::Reason, reason);
    QFETCH(int, flags);

    const Classification result = classifyExact(classifier, sql, standardConformingStrings);
    QCOMPARE(routeName(result.route), routeName(route));
    QCOMPARE(StatementClassifier::reasonName(result.reason),
             StatementClassifier::reasonName(reason));
    QCOMPARE(flagNames(result.flags), flagNames(flags));
    QCOMPARE(result.isRead(), route == Reader);

    // Whatever a read looks like, a write appended to it must reach the primary.
    if (route == Reader) {
        const Classification appended
            = classifier.classify(QString(sql + u"\n;DELETE FROM t"_s), standardConformingStrings);
        QCOMPARE(routeName(appended.route), routeName(Primary));
        QCOMPARE(StatementClassifier::reasonName(appended.reason),
                 StatementClassifier::reasonName(MultiStatement));
    }
}

} // namespace

class tst_StatementClassifier : public QObject
{
    Q_OBJECT

private slots:
    void reads_data();
    void reads() { check(m_classifier); }
    void writes_data();
    void writes() { check(m_classifier); }
    void literalsAndComments_data();
    void literalsAndComments() { check(m_classifier); }
    void readsThatWrite_data();
    void readsThatWrite() { check(m_classifier); }
    void writeFunctions_data();
    void writeFunctions() { check(m_classifier); }
    void explain_data();
    void explain() { check(m_classifier); }
    void flags_data();
    void flags() { check(m_classifier); }
    void multipleStatements_data();
    void multipleStatements() { check(m_classifier); }
    void primaryHint_data();
    void primaryHint() { check(m_classifier); }
    void emptyAndGarbage_data();
    void emptyAndGarbage() { check(m_classifier); }
    void extraWriteFunctions_data();
    void extraWriteFunctions();
    void backslashesWithStandardStrings_data();
    void backslashesWithStandardStrings() { check(m_classifier); }
    void backslashesWithoutStandardStrings_data();
    void backslashesWithoutStandardStrings() { check(m_classifier, false); }
    void standardConformingStringsIsTheDefault();

    void longStatement();
    void truncatedStatements();
    void randomGarbage();
    void reasonNames();

    // Session state helpers (qpsqlhasessionsql_p.h).
    void sessionStatements_data();
    void sessionStatements();
    void temporaryObjectNames_data();
    void temporaryObjectNames();
    void droppedObjectNames_data();
    void droppedObjectNames();
    void mentionsAnyName_data();
    void mentionsAnyName();
    void sessionHelpersFollowStandardConformingStrings_data();
    void sessionHelpersFollowStandardConformingStrings();

private:
    const StatementClassifier m_classifier;
};

void tst_StatementClassifier::reads_data()
{
    addColumns();
    RowSink sink;
    Cases::reads(sink);
}

void tst_StatementClassifier::writes_data()
{
    addColumns();
    RowSink sink;
    Cases::writes(sink);
}

void tst_StatementClassifier::literalsAndComments_data()
{
    addColumns();
    RowSink sink;
    Cases::literalsAndComments(sink);
}

void tst_StatementClassifier::readsThatWrite_data()
{
    addColumns();
    RowSink sink;
    Cases::readsThatWrite(sink);
}

void tst_StatementClassifier::writeFunctions_data()
{
    addColumns();
    RowSink sink;
    Cases::writeFunctions(sink);
}

void tst_StatementClassifier::explain_data()
{
    addColumns();
    RowSink sink;
    Cases::explain(sink);
}

void tst_StatementClassifier::flags_data()
{
    addColumns();
    RowSink sink;
    Cases::flags(sink);
}

void tst_StatementClassifier::multipleStatements_data()
{
    addColumns();
    RowSink sink;
    Cases::multipleStatements(sink);
}

void tst_StatementClassifier::primaryHint_data()
{
    addColumns();
    RowSink sink;
    Cases::primaryHint(sink);
}

void tst_StatementClassifier::emptyAndGarbage_data()
{
    addColumns();
    RowSink sink;
    Cases::emptyAndGarbage(sink);
}

void tst_StatementClassifier::extraWriteFunctions_data()
{
    addColumns();
    RowSink sink;
    Cases::extraWriteFunctions(sink);
}

void tst_StatementClassifier::backslashesWithStandardStrings_data()
{
    addColumns();
    RowSink sink;
    Cases::backslashesWithStandardStrings(sink);
}

void tst_StatementClassifier::backslashesWithoutStandardStrings_data()
{
    addColumns();
    RowSink sink;
    Cases::backslashesWithoutStandardStrings(sink);
}

// Every row of the shared table (written for the server's default) classifies the same with the
// flag given as true and left out; the groups say which setting they are written for.
void tst_StatementClassifier::standardConformingStringsIsTheDefault()
{
    struct Compare : Sink
    {
        const StatementClassifier *classifier = nullptr;
        int rows = 0;
        void add(const QString &sql, Classification::Route, Classification::Reason, int) override
        {
            const Classification implicit = classifier->classify(sql);
            const Classification explicitOn = classifier->classify(sql, true);
            QCOMPARE(implicit.route, explicitOn.route);
            QCOMPARE(implicit.reason, explicitOn.reason);
            QCOMPARE(implicit.flags, explicitOn.flags);
            ++rows;
        }
    } compare;
    compare.classifier = &m_classifier;
    int offGroups = 0;
    for (const Cases::Group &group : Cases::groups) {
        group.rows(compare);
        if (QTest::currentTestFailed())
            return;
        offGroups += group.standardConformingStrings ? 0 : 1;
    }
    QVERIFY2(compare.rows > 300, qPrintable(QString::number(compare.rows)));
    QCOMPARE(offGroups, 1);
}

void tst_StatementClassifier::extraWriteFunctions()
{
    const StatementClassifier classifier(extraWriteFunctionsConfig());
    QCOMPARE(classifier.extraWriteFunctions(), QStringList({u"bump_counter"_s, u"touch"_s}));
    check(classifier);
    if (QTest::currentTestFailed())
        return;

    // Without configuration these are ordinary functions.
    QFETCH(QString, sql);
    if (sql.contains(u"bump_counter("_s, Qt::CaseInsensitive) && !sql.startsWith(u"EXPLAIN"_s))
        QVERIFY(m_classifier.classify(sql).isRead());
}

void tst_StatementClassifier::longStatement()
{
    QString columns;
    for (int i = 0; columns.size() < 10 * 1024; ++i)
        columns += u"c"_s + QString::number(i) + u", 'lit''eral;', /* c */ \"q\"\"i\", "_s;
    const QString read = u"SELECT "_s + columns + u"1 FROM t"_s;
    QVERIFY(read.size() > 10 * 1024);

    Classification result = classifyExact(m_classifier, read);
    QVERIFY(result.isRead());
    QCOMPARE(result.reason, ReadOnly);

    result = classifyExact(m_classifier, QString(read + u" FOR UPDATE"_s));
    QCOMPARE(result.reason, LockingClause);

    result = classifyExact(m_classifier, QString(read + u"; DELETE FROM t"_s));
    QCOMPARE(result.reason, MultiStatement);

    const QString literal = u"SELECT '"_s + QString(20 * 1024, u';') + u"'"_s;
    QVERIFY(m_classifier.classify(literal).isRead());

    const QString comments = QString(2000, u'(') + u"SELECT 1"_s + QString(2000, u')');
    QVERIFY(m_classifier.classify(comments).isRead());

    QString nested;
    for (int i = 0; i < 2000; ++i)
        nested += u"/*"_s;
    nested += u"DELETE FROM t"_s;
    for (int i = 0; i < 2000; ++i)
        nested += u"*/"_s;
    QCOMPARE(m_classifier.classify(QString(nested + u"SELECT 1"_s)).reason, ReadOnly);
    QCOMPARE(m_classifier.classify(QString(nested.chopped(2) + u"SELECT 1"_s)).reason, NotAQuery);
}

// Every prefix of a tricky statement ends inside some literal, comment or clause; none may
// crash or read past the end, and a prefix ending inside a literal or comment is not a read.
void tst_StatementClassifier::truncatedStatements()
{
    const QString statements[] = {
        u"/*qpsqlha:primary*/ SELECT 1"_s,
        u"/* a /* b */ c */ SELECT E'x\\'y', U&'\\0061', U&\"\\0061\", \"q\"\"i\" -- c"_s,
        u"SELECT $tag$ ; $$ $tag$, $1, $$x$$, 1.5e-3 FROM t FOR NO KEY UPDATE"_s,
        u"EXPLAIN (ANALYZE false, BUFFERS) SELECT set_config('a', 'b', false)"_s,
        u"COMMIT AND NO CHAIN; ROLLBACK TRANSACTION TO SAVEPOINT a; PREPARE TRANSACTION 'x'"_s,
        u"CREATE OR REPLACE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END"_s,
    };
    for (const QString &sql : statements) {
        for (qsizetype size = 0; size <= sql.size(); ++size) {
            const QStringView prefix = QStringView(sql).first(size);
            const Classification result = classifyExact(m_classifier, prefix);
            QVERIFY2(result.route == Reader || result.route == Primary, tagFor(prefix).constData());
            const bool insideLiteral = prefix.endsWith(u"'x"_s) || prefix.endsWith(u"/* a"_s)
                || prefix.endsWith(u"$tag$ ;"_s) || prefix.endsWith(u"\"q"_s);
            if (insideLiteral)
                QVERIFY2(result.reason == NotAQuery, tagFor(prefix).constData());
        }
    }
}

// Random text built mostly from the characters the lexer cares about.
void tst_StatementClassifier::randomGarbage()
{
    static constexpr char16_t alphabet[] = u"'\"$;-/*()\\ \n\teEuU&_0123456789.,aAsSfFiI";
    static constexpr QStringView words[] = {
        u"SELECT ",     u"FOR ",     u"UPDATE ",          u"INTO ", u"nextval(",
        u"set_config(", u"EXPLAIN ", u"ANALYZE ",         u"$a$",   u"/*qpsqlha:primary*/",
        u"BEGIN ",      u"END ",     u"CREATE FUNCTION ",
    };
    QRandomGenerator random(20260101);
    const StatementClassifier classifier({u"f"_s});
    for (int round = 0; round < 20000; ++round) {
        QString sql;
        const int parts = random.bounded(40);
        for (int i = 0; i < parts; ++i) {
            const quint32 pick = random.bounded(10);
            if (pick < 6)
                sql += QChar(alphabet[random.bounded(int(std::size(alphabet) - 1))]);
            else if (pick < 8)
                sql += words[random.bounded(int(std::size(words)))];
            else
                sql += QChar(char16_t(random.bounded(0x10000)));
        }
        // Both readings of backslashes in '...' (standard_conforming_strings on and off).
        const bool standardConformingStrings = round % 2 == 0;
        const Classification first = classifyExact(classifier, sql, standardConformingStrings);
        const Classification second = classifier.classify(sql, standardConformingStrings);
        QVERIFY2(first.route == Reader || first.route == Primary, tagFor(sql).constData());
        QVERIFY2(first.route == second.route && first.reason == second.reason
                     && first.flags == second.flags,
                 tagFor(sql).constData());
        QVERIFY2(first.route == Primary || first.reason == ReadOnly, tagFor(sql).constData());
        // Text without a backslash reads the same either way.
        if (!sql.contains(u'\\')) {
            const Classification other = classifier.classify(sql, !standardConformingStrings);
            QVERIFY2(first.route == other.route && first.reason == other.reason
                         && first.flags == other.flags,
                     tagFor(sql).constData());
        }
    }
}

void tst_StatementClassifier::reasonNames()
{
    QSet<QByteArray> names;
    for (int reason = ReadOnly; reason <= ExplainAnalyzeWrite; ++reason) {
        const QByteArray name
            = StatementClassifier::reasonName(static_cast<Classification::Reason>(reason));
        QVERIFY(!name.isEmpty());
        QVERIFY(name != "unknown");
        names.insert(name);
    }
    QCOMPARE(names.size(), int(ExplainAnalyzeWrite) + 1);
    QCOMPARE(StatementClassifier::reasonName(ReadOnly), "read-only");
    QCOMPARE(StatementClassifier::reasonName(NotAQuery), "not a query");
    QCOMPARE(StatementClassifier::reasonName(PrimaryHint), "primary hint");
}

// Each statement as "kind key: text".
static QStringList describe(const QList<SessionStatement> &statements)
{
    static const char *const kinds[]
        = {"setting",  "role",   "reset all", "discard all", "discard temp",
           "no state", "listen", "unlisten",  "unlisten all"};
    QStringList result;
    for (const SessionStatement &statement : statements) {
        result.append(u"%1 %2: %3"_s.arg(QLatin1StringView(kinds[statement.kind]), statement.key,
                                         statement.text));
    }
    return result;
}

void tst_StatementClassifier::sessionStatements_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QStringList>("expected");
    auto add = [](const char *sql, const QStringList &expected) {
        QTest::addRow("%s", tagFor(QString::fromUtf8(sql)).constData())
            << QString::fromUtf8(sql) << expected;
    };
    add("SET search_path = a", {u"setting search_path: SET search_path = a"_s});
    add("set Search_Path to a, b ;", {u"setting search_path: set Search_Path to a, b"_s});
    add("SET SESSION work_mem = '64MB'", {u"setting work_mem: SET SESSION work_mem = '64MB'"_s});
    add("SET \"Work_Mem\" = '1MB'", {u"setting work_mem: SET \"Work_Mem\" = '1MB'"_s});
    add("SET myapp.User_Id = 1", {u"setting myapp.user_id: SET myapp.User_Id = 1"_s});
    add("SET TIME ZONE 'UTC'", {u"setting timezone: SET TIME ZONE 'UTC'"_s});
    add("SET SCHEMA 'a'", {u"setting search_path: SET SCHEMA 'a'"_s});
    add("SET NAMES 'UTF8'", {u"setting client_encoding: SET NAMES 'UTF8'"_s});
    add("SET XML OPTION DOCUMENT", {u"setting xmloption: SET XML OPTION DOCUMENT"_s});
    add("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        {u"setting : SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"_s});
    add("SET ROLE r", {u"role role: SET ROLE r"_s});
    add("set session role r", {u"role role: set session role r"_s});
    add("SET role = 'r'", {u"role role: SET role = 'r'"_s});
    add("SET SESSION AUTHORIZATION u",
        {u"role session_authorization: SET SESSION AUTHORIZATION u"_s});
    add("RESET ROLE", {u"role role: RESET ROLE"_s});
    add("RESET SESSION AUTHORIZATION",
        {u"role session_authorization: RESET SESSION AUTHORIZATION"_s});
    add("SET session_authorization = u",
        {u"role session_authorization: SET session_authorization = u"_s});
    add("RESET search_path", {u"setting search_path: RESET search_path"_s});
    add("RESET ALL", {u"reset all : RESET ALL"_s});
    add("DISCARD ALL", {u"discard all : DISCARD ALL"_s});
    add("DISCARD TEMP", {u"discard temp : DISCARD TEMP"_s});
    add("discard temporary", {u"discard temp : discard temporary"_s});
    add("DISCARD PLANS", {u"no state : DISCARD PLANS"_s});
    add("LISTEN Chan", {u"listen listen:chan: LISTEN Chan"_s});
    add("LISTEN \"Chan\"", {u"listen listen:Chan: LISTEN \"Chan\""_s});
    add("UNLISTEN chan", {u"unlisten listen:chan: UNLISTEN chan"_s});
    add("UNLISTEN *", {u"unlisten all : UNLISTEN *"_s});
    add("SELECT set_config('Search_Path', 'a', false)",
        {u"setting search_path: SELECT set_config('Search_Path', 'a', false)"_s});
    add("SELECT pg_catalog.set_config('a.b', $1, false) AS x",
        {u"setting a.b: SELECT pg_catalog.set_config('a.b', $1, false) AS x"_s});
    add("SELECT set_config('role', 'r', false)",
        {u"role role: SELECT set_config('role', 'r', false)"_s});
    // Not exactly one set_config: the effect is not known, so nothing is superseded by it.
    add("SELECT set_config('a', 'b', false) FROM t",
        {u"setting : SELECT set_config('a', 'b', false) FROM t"_s});
    add("SELECT set_config(name, 'b', false) FROM t",
        {u"setting : SELECT set_config(name, 'b', false) FROM t"_s});
    add("SELECT set_config('a', 'b', false), set_config('c', 'd', false)",
        {u"setting : SELECT set_config('a', 'b', false), set_config('c', 'd', false)"_s});
    // Only the statements of a string that change session state, each on its own.
    add("SET a = 1; SELECT 1; SET LOCAL b = 2; RESET c",
        {u"setting a: SET a = 1"_s, u"setting c: RESET c"_s});
    add("BEGIN; SET a = 'x;y'; COMMIT", {u"setting a: SET a = 'x;y'"_s});
    add("/* c */ SET a = 1 -- d\n;", {u"setting a: SET a = 1 -- d"_s});
    add("SET LOCAL a = 1", {});
    add("SELECT 1", {});
    add("SELECT set_config('a', 'b', true)", {});
}

void tst_StatementClassifier::sessionStatements()
{
    QFETCH(QString, sql);
    QFETCH(QStringList, expected);
    QCOMPARE(describe(QPsqlHa::sessionStatements(sql)), expected);
}

void tst_StatementClassifier::temporaryObjectNames_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QStringList>("names");
    auto add = [](const char *sql, const QStringList &names) {
        QTest::addRow("%s", tagFor(QString::fromUtf8(sql)).constData())
            << QString::fromUtf8(sql) << names;
    };
    add("CREATE TEMP TABLE Items (id int)", {u"items"_s});
    add("CREATE TEMPORARY TABLE \"Mixed Case\" (id int)", {u"Mixed Case"_s});
    add("CREATE TEMP TABLE \"a\"\"b\" (id int)", {u"a\"b"_s});
    add("create global temporary table if not exists t1 (id int)", {u"t1"_s});
    add("CREATE LOCAL TEMP TABLE t2 AS SELECT 1", {u"t2"_s});
    add("CREATE TEMP TABLE pg_temp.t3 (id int)", {u"t3"_s});
    add("CREATE OR REPLACE TEMP VIEW v AS SELECT 1", {u"v"_s});
    add("CREATE TEMP RECURSIVE VIEW rv (n) AS SELECT 1", {u"rv"_s});
    add("CREATE TEMPORARY SEQUENCE s", {u"s"_s});
    add("SELECT 1 AS a INTO TEMP t4", {u"t4"_s});
    add("SELECT 1 AS a INTO LOCAL TEMPORARY TABLE T5 FROM x", {u"t5"_s});
    add("CREATE TEMP TABLE a (id int); CREATE TEMP TABLE b (id int); CREATE TABLE c (id int)",
        {u"a"_s, u"b"_s});
    add("CREATE TABLE temp (id int)", {});
    add("SELECT temp FROM t", {});
    add("SELECT 'CREATE TEMP TABLE x'", {});
}

void tst_StatementClassifier::temporaryObjectNames()
{
    QFETCH(QString, sql);
    QFETCH(QStringList, names);
    QCOMPARE(QPsqlHa::temporaryObjectNames(sql), names);
}

void tst_StatementClassifier::droppedObjectNames_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("dropped");
    QTest::newRow("plain") << u"DROP TABLE items"_s << u"items"_s << true;
    QTest::newRow("folded") << u"drop table IF EXISTS Items CASCADE"_s << u"items"_s << true;
    QTest::newRow("list") << u"DROP TABLE a, items, b"_s << u"items"_s << true;
    QTest::newRow("quoted") << u"DROP TABLE \"Mixed Case\""_s << u"Mixed Case"_s << true;
    QTest::newRow("quoted other case") << u"DROP TABLE \"Items\""_s << u"items"_s << false;
    QTest::newRow("pg_temp") << u"DROP TABLE pg_temp.items"_s << u"items"_s << true;
    QTest::newRow("other schema") << u"DROP TABLE public.items"_s << u"items"_s << false;
    QTest::newRow("view") << u"DROP VIEW v"_s << u"v"_s << true;
    QTest::newRow("second statement") << u"SELECT 1; DROP TABLE items"_s << u"items"_s << true;
    QTest::newRow("not a drop") << u"DELETE FROM items"_s << u"items"_s << false;
    QTest::newRow("literal") << u"SELECT 'DROP TABLE items'"_s << u"items"_s << false;
}

void tst_StatementClassifier::droppedObjectNames()
{
    QFETCH(QString, sql);
    QFETCH(QString, name);
    QFETCH(bool, dropped);
    QCOMPARE(QPsqlHa::droppedObjectNames(sql).contains(name), dropped);
}

void tst_StatementClassifier::mentionsAnyName_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("mentions");
    const QStringList names = {u"items"_s, u"Mixed Case"_s};
    QTest::newRow("plain") << u"SELECT * FROM items"_s << true;
    QTest::newRow("folded") << u"SELECT * FROM ITEMS"_s << true;
    QTest::newRow("quoted") << u"SELECT * FROM \"items\""_s << true;
    QTest::newRow("quoted other case") << u"SELECT * FROM \"Items\""_s << false;
    QTest::newRow("quoted mixed") << u"SELECT * FROM \"Mixed Case\""_s << true;
    QTest::newRow("mixed unquoted") << u"SELECT * FROM mixed"_s << false;
    QTest::newRow("qualified") << u"SELECT i.id FROM public.items i"_s << true;
    QTest::newRow("join") << u"SELECT 1 FROM a JOIN items USING (id)"_s << true;
    QTest::newRow("pg_temp") << u"SELECT * FROM pg_temp.other"_s << true;
    QTest::newRow("pg_temp_3") << u"SELECT * FROM PG_TEMP_3.other"_s << true;
    QTest::newRow("unicode escape") << u"SELECT * FROM U&\"\\0069tems\""_s << true;
    QTest::newRow("other") << u"SELECT * FROM items2"_s << false;
    QTest::newRow("prefix") << u"SELECT * FROM item"_s << false;
    QTest::newRow("literal") << u"SELECT 'items'"_s << false;
    QTest::newRow("comment") << u"SELECT 1 /* items */ -- items"_s << false;
    QTest::newRow("dollar") << u"SELECT $$items$$"_s << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("unterminated") << u"SELECT 'items"_s << false;
}

void tst_StatementClassifier::mentionsAnyName()
{
    QFETCH(QString, sql);
    QFETCH(bool, mentions);
    const QStringList names = {u"items"_s, u"Mixed Case"_s};
    QCOMPARE(QPsqlHa::mentionsAnyName(sql, names), mentions);
}

// The helpers read literals as classify() does: with standard_conforming_strings off a
// backslash escapes the next character in '...', which moves where statements and names are.
void tst_StatementClassifier::sessionHelpersFollowStandardConformingStrings_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QString>("withStandardStrings");
    QTest::addColumn<QString>("withoutStandardStrings");
    const auto add = [](const char *tag, const char *sql, const char *on, const char *off) {
        QTest::newRow(tag) << QString::fromUtf8(sql) << QString::fromUtf8(on)
                           << QString::fromUtf8(off);
    };
    add("session: literal hides a SET", "SET a = 'x\\';y'; SET b = 2", "setting a: SET a = 'x\\'",
        "setting a: SET a = 'x\\';y' | setting b: SET b = 2");
    // Off, the name is search_path: an escape that is not decoded leaves the key unknown.
    add("session: set_config name with an escape", "SELECT set_config('search\\_path', 'a', false)",
        "setting search\\_path: SELECT set_config('search\\_path', 'a', false)",
        "setting : SELECT set_config('search\\_path', 'a', false)");
    add("temporary: created after an escaped quote",
        "SELECT 'it\\'s'; CREATE TEMP TABLE t1 (a int)", "", "t1");
    add("temporary: created inside what is a literal only with the setting on",
        "SELECT 'a\\', ' ; CREATE TEMP TABLE t2 (a int); -- '", "", "t2");
    add("dropped: inside what is a literal only with the setting on",
        "SELECT 'a\\', ' ; DROP TABLE items; -- '", "", "table,items");
    add("mentions: after an escaped quote", "SELECT 'a\\', ' FROM items -- '", "no", "yes");
    add("mentions: inside a literal with an escaped quote", "SELECT 'it\\'s items'", "yes", "no");
}

void tst_StatementClassifier::sessionHelpersFollowStandardConformingStrings()
{
    QFETCH(QString, sql);
    QFETCH(QString, withStandardStrings);
    QFETCH(QString, withoutStandardStrings);
    const QByteArray tag = QTest::currentDataTag();
    const auto answer = [&](bool standardConformingStrings) -> QString {
        if (tag.startsWith("session:"))
            return describe(QPsqlHa::sessionStatements(sql, standardConformingStrings))
                .join(u" | "_s);
        if (tag.startsWith("temporary:"))
            return QPsqlHa::temporaryObjectNames(sql, standardConformingStrings).join(u',');
        if (tag.startsWith("dropped:"))
            return QPsqlHa::droppedObjectNames(sql, standardConformingStrings).join(u',');
        return QPsqlHa::mentionsAnyName(sql, {u"items"_s}, standardConformingStrings) ? u"yes"_s
                                                                                      : u"no"_s;
    };
    QCOMPARE(answer(true), withStandardStrings);
    QCOMPARE(answer(false), withoutStandardStrings);
}

QTEST_APPLESS_MAIN(tst_StatementClassifier)

#include "tst_statementclassifier.moc"
