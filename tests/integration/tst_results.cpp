// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// QPSQLHA's results are QPSQL's results. Every case runs the same SQL side by side: once through
// QPSQLHA (reads on a streaming replica, the rest on the primary) and once through a plain QPSQL
// connection to the primary, after the readers have replayed the data, and compares what the
// application sees: values and their types, records, sizes, positions, errors, bindings,
// driver metadata and the SQL models on top.

#include <hahelpers.h>
#include <testcluster.h>

#include <QtCore/qcryptographichash.h>
#include <QtCore/qdatetime.h>
#include <QtCore/qregularexpression.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlfield.h>
#include <QtSql/qsqlindex.h>
#include <QtSql/qsqlrecord.h>
#include <QtSql/qsqlrelationaltablemodel.h>
#include <QtSql/qsqltablemodel.h>
#include <QtTest/qtest.h>

#include <functional>

using namespace QPsqlHaTest;
using namespace Qt::StringLiterals;

namespace {

QString describe(const QVariant &value)
{
    if (!value.isValid())
        return u"<invalid>"_s;
    QString text;
    if (value.isNull())
        text = u"NULL"_s;
    else if (value.metaType() == QMetaType::fromType<QByteArray>())
        text = u"0x"_s + QString::fromLatin1(value.toByteArray().toHex());
    else if (value.metaType() == QMetaType::fromType<QDateTime>())
        text = value.toDateTime().toString(Qt::ISODateWithMs);
    else
        text = value.toString();
    return u"%1(%2)"_s.arg(QLatin1StringView(value.metaType().name()), text);
}

// Empty if both are the same value of the same type; otherwise what differs.
QString valueDiff(const QVariant &ha, const QVariant &plain)
{
    const QString mismatch = u"QPSQLHA %1, QPSQL %2"_s.arg(describe(ha), describe(plain));
    if (ha.isValid() != plain.isValid() || ha.metaType() != plain.metaType()
        || ha.isNull() != plain.isNull())
        return mismatch;
    if (!ha.isValid() || ha.isNull())
        return QString();
    switch (ha.metaType().id()) {
    case QMetaType::Double:
    case QMetaType::Float: {
        // The same text parsed by the same code: exactly equal, NaN included.
        const double a = ha.toDouble();
        const double b = plain.toDouble();
        if ((qIsNaN(a) && qIsNaN(b)) || a == b)
            return QString();
        return mismatch;
    }
    case QMetaType::QDateTime: {
        const QDateTime a = ha.toDateTime();
        const QDateTime b = plain.toDateTime();
        if (a == b && a.timeSpec() == b.timeSpec() && a.offsetFromUtc() == b.offsetFromUtc())
            return QString();
        return mismatch;
    }
    default:
        return ha == plain ? QString() : mismatch;
    }
}

QString fieldDiff(const QSqlField &ha, const QSqlField &plain)
{
    QStringList diffs;
    auto check = [&diffs](const char *what, const auto &a, const auto &b) {
        if (a != b)
            diffs.append(
                u"%1: QPSQLHA %2, QPSQL %3"_s.arg(QLatin1StringView(what))
                    .arg(QVariant::fromValue(a).toString(), QVariant::fromValue(b).toString()));
    };
    check("name", ha.name(), plain.name());
    check("metaType", ha.metaType().id(), plain.metaType().id());
    check("tableName", ha.tableName(), plain.tableName());
    check("length", ha.length(), plain.length());
    check("precision", ha.precision(), plain.precision());
    check("requiredStatus", int(ha.requiredStatus()), int(plain.requiredStatus()));
    check("typeID", ha.typeID(), plain.typeID());
    check("autoValue", ha.isAutoValue(), plain.isAutoValue());
    check("readOnly", ha.isReadOnly(), plain.isReadOnly());
    check("generated", ha.isGenerated(), plain.isGenerated());
    if (const QString d = valueDiff(ha.defaultValue(), plain.defaultValue()); !d.isEmpty())
        diffs.append(u"defaultValue: "_s + d);
    if (const QString d = valueDiff(ha.value(), plain.value()); !d.isEmpty())
        diffs.append(u"value: "_s + d);
    if (diffs.isEmpty())
        return QString();
    return u"field '%1': %2"_s.arg(plain.name(), diffs.join(u"; "_s));
}

QString recordDiff(const QSqlRecord &ha, const QSqlRecord &plain)
{
    if (ha.count() != plain.count())
        return u"record has %1 fields through QPSQLHA, %2 through QPSQL"_s.arg(ha.count())
            .arg(plain.count());
    for (int i = 0; i < plain.count(); ++i) {
        if (const QString d = fieldDiff(ha.field(i), plain.field(i)); !d.isEmpty())
            return u"record field %1: %2"_s.arg(i).arg(d);
    }
    return QString();
}

// QPSQL names each prepared statement from one process-wide counter ("PREPARE qpsqlpstmt_1a
// AS ..."), and PostgreSQL quotes that statement in syntax errors: two plain QPSQL connections
// differ there too. Only the name (and the caret under it, which its length shifts) is masked.
QString maskStatementName(QString text)
{
    static const QRegularExpression name(u"qpsqlpstmt_[0-9a-f]+"_s);
    static const QRegularExpression caret(u"\n *\\^"_s);
    return text.replace(name, u"qpsqlpstmt_#"_s).replace(caret, u"\n^"_s);
}

QString errorDiff(const QSqlError &ha, const QSqlError &plain)
{
    QStringList diffs;
    auto check = [&diffs](const char *what, QString a, QString b) {
        a = maskStatementName(a);
        b = maskStatementName(b);
        if (a != b)
            diffs.append(u"%1: QPSQLHA \"%2\", QPSQL \"%3\""_s.arg(QLatin1StringView(what), a, b));
    };
    check("type", QString::number(ha.type()), QString::number(plain.type()));
    check("text", ha.text(), plain.text());
    check("databaseText", ha.databaseText(), plain.databaseText());
    check("driverText", ha.driverText(), plain.driverText());
    check("nativeErrorCode", ha.nativeErrorCode(), plain.nativeErrorCode());
    return diffs.isEmpty() ? QString() : u"lastError: "_s + diffs.join(u"; "_s);
}

// The state an application can ask a query about, without moving it.
QString stateDiff(QSqlQuery &ha, QSqlQuery &plain)
{
    QStringList diffs;
    auto check = [&diffs](const char *what, int a, int b) {
        if (a != b)
            diffs.append(u"%1: QPSQLHA %2, QPSQL %3"_s.arg(QLatin1StringView(what)).arg(a).arg(b));
    };
    check("isActive", ha.isActive(), plain.isActive());
    check("isSelect", ha.isSelect(), plain.isSelect());
    check("isValid", ha.isValid(), plain.isValid());
    check("at", ha.at(), plain.at());
    check("size", ha.size(), plain.size());
    check("numRowsAffected", ha.numRowsAffected(), plain.numRowsAffected());
    check("isForwardOnly", ha.isForwardOnly(), plain.isForwardOnly());
    if (const QString d = errorDiff(ha.lastError(), plain.lastError()); !d.isEmpty())
        diffs.append(d);
    if (const QString d = recordDiff(ha.record(), plain.record()); !d.isEmpty())
        diffs.append(d);
    if (ha.isValid() && plain.isValid()) {
        const int columns = plain.record().count();
        for (int i = 0; i < columns; ++i) {
            if (const QString d = valueDiff(ha.value(i), plain.value(i)); !d.isEmpty())
                diffs.append(u"value(%1): %2"_s.arg(i).arg(d));
            check("isNull", ha.isNull(i), plain.isNull(i));
        }
    }
    return diffs.join(u"\n    "_s);
}

// Walks both results to their ends in step, comparing each row; returns the first difference.
QString walkDiff(QSqlQuery &ha, QSqlQuery &plain, int *rows = nullptr)
{
    int row = 0;
    for (;;) {
        const bool haNext = ha.next();
        const bool plainNext = plain.next();
        if (haNext != plainNext)
            return u"row %1: next() is %2 through QPSQLHA, %3 through QPSQL"_s.arg(row)
                .arg(haNext)
                .arg(plainNext);
        if (const QString d = stateDiff(ha, plain); !d.isEmpty())
            return u"row %1:\n    %2"_s.arg(row).arg(d);
        if (!haNext)
            break;
        ++row;
    }
    if (rows)
        *rows = row;
    return QString();
}

QString modelDiff(const QSqlQueryModel &ha, const QSqlQueryModel &plain)
{
    if (ha.rowCount() != plain.rowCount() || ha.columnCount() != plain.columnCount())
        return u"QPSQLHA model is %1x%2, QPSQL model %3x%4"_s.arg(ha.rowCount())
            .arg(ha.columnCount())
            .arg(plain.rowCount())
            .arg(plain.columnCount());
    for (int column = 0; column < plain.columnCount(); ++column) {
        if (const QString d = valueDiff(ha.headerData(column, Qt::Horizontal),
                                        plain.headerData(column, Qt::Horizontal));
            !d.isEmpty())
            return u"header %1: %2"_s.arg(column).arg(d);
    }
    for (int row = 0; row < plain.rowCount(); ++row) {
        for (int column = 0; column < plain.columnCount(); ++column) {
            for (int role : {int(Qt::DisplayRole), int(Qt::EditRole)}) {
                if (const QString d = valueDiff(ha.data(ha.index(row, column), role),
                                                plain.data(plain.index(row, column), role));
                    !d.isEmpty())
                    return u"cell (%1, %2) role %3: %4"_s.arg(row).arg(column).arg(role).arg(d);
            }
        }
        if (const QString d = recordDiff(ha.record(row), plain.record(row)); !d.isEmpty())
            return u"record(%1): %2"_s.arg(row).arg(d);
    }
    return QString();
}

QVariant nullOf(QMetaType type)
{
    return QVariant(type);
}

} // namespace

#define COMPARE_STATE(ha, plain, step)                                                             \
    do {                                                                                           \
        const QString diff_ = stateDiff(ha, plain);                                                \
        QVERIFY2(diff_.isEmpty(), qPrintable(u"%1:\n    %2"_s.arg(step, diff_)));                  \
    } while (false)

#define COMPARE_WALK(ha, plain, step)                                                              \
    do {                                                                                           \
        const QString diff_ = walkDiff(ha, plain);                                                 \
        QVERIFY2(diff_.isEmpty(), qPrintable(u"%1: %2"_s.arg(step, diff_)));                       \
    } while (false)

class tst_Results : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void valuesAndTypes_data();
    void valuesAndTypes();
    void rowCounts();
    void scrollableNavigation_data();
    void scrollableNavigation();
    void insertReturning();
    void forwardOnlyLargeResult_data();
    void forwardOnlyLargeResult();
    void forwardOnlyErrorMidStream_data();
    void forwardOnlyErrorMidStream();
    void errors_data();
    void errors();
    void preparedBindings_data();
    void preparedBindings();
    void preparedInsertRoundTrip();
    void rebindingAsQpsqlDoes();
    void driverFeatures();
    void driverMetadata();
    void tableModelRoundTrip();
    void relationalTableModel();
    void valueByName_data();
    void valueByName();
    void multipleResultSets_data();
    void multipleResultSets();

private:
    quint64 readerQueries() const;
    quint64 primaryQueries() const;

    TestCluster &m_test = TestCluster::instance();
    QString m_cluster;
    QSqlDatabase m_ha;
    QSqlDatabase m_direct;
};

void tst_Results::initTestCase()
{
    QVERIFY2(m_test.isValid(), qPrintable(m_test.errorString()));
    QVERIFY(m_test.ensureAllRunning());
    QString error;
    for (const char *sql : {
             "DROP TABLE IF EXISTS results_types",
             "CREATE TABLE results_types (id int PRIMARY KEY, c_smallint smallint, c_int int, "
             "c_bigint bigint, c_numeric numeric(20,5), c_real real, c_double double precision, "
             "c_bool boolean, c_text text, c_varchar varchar(10), c_char char(5), c_bytea bytea, "
             "c_date date, c_time time, c_timestamp timestamp, c_timestamptz timestamptz, "
             "c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_intarr int[], "
             "c_textarr text[], c_inet inet, c_oid oid)",
             "INSERT INTO results_types VALUES (1, -32768, 2147483647, -9223372036854775808, "
             "123456789012345.12345, 3.25, 2.718281828459045, true, "
             "'plain ''quoted'' text with \\backslash', 'varchar10!', 'ab', "
             "'\\x00ff7f0a2700'::bytea, '2024-02-29', '23:59:59.123', "
             "'2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+05:30', "
             "'1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
             "'{\"a\": [1, 2, {\"b\": null}]}', '{\"z\": 1, \"a\": \"\u00fc\"}', '{1,NULL,3}', "
             "'{\"a b\",\"c,d\",NULL,\"\\\"q\\\"\"}', '192.168.0.1/24', 4294967295)",
             "INSERT INTO results_types VALUES (2, 32767, -2147483648, 9223372036854775807, "
             "'NaN', 'NaN', 'Infinity', false, "
             "'emoji \U0001F600 CJK \u6f22\u5b57 \u00fcml\u00e4ut', '\u00fcn\u00efc\u00f6d\u00e9', "
             "'\u6f22\u5b57', '\\x'::bytea, '0001-01-01', '00:00:00', '1970-01-01 00:00:00', "
             "'1999-12-31 23:59:59.999999+00', '-1 days', "
             "'00000000-0000-0000-0000-000000000000', 'null', '[]', '{}', '{}', '::1', 0)",
             "INSERT INTO results_types VALUES (3, 0, 0, 0, -0.00001, '-Infinity', "
             "'-Infinity', true, '', '', '', '\\x80818283fefdfcfb'::bytea, '9999-12-31', "
             "'12:00:00.000001', '2038-01-19 03:14:08', '2000-06-15 00:00:00-08', "
             "'00:00:00.000001', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\"\\u00e9\"', "
             "'{\"nested\": {\"deep\": [true, false]}}', '{{1,2},{3,4}}', '{\"\"}', "
             "'10.0.0.0/8', 1)",
             "INSERT INTO results_types (id) VALUES (4)",

             "DROP TABLE IF EXISTS results_rows",
             "CREATE TABLE results_rows (id serial PRIMARY KEY, owner text NOT NULL, n int, "
             "label text)",

             "DROP TABLE IF EXISTS results_unique",
             "CREATE TABLE results_unique (id int PRIMARY KEY, name text NOT NULL)",
             "INSERT INTO results_unique VALUES (1, 'one')",

             "DROP TABLE IF EXISTS results_bind",
             "CREATE TABLE results_bind (id serial PRIMARY KEY, owner text NOT NULL, "
             "v_text text, v_int int, v_big bigint, v_double float8, v_bool bool, "
             "v_bytes bytea, v_date date, v_ts timestamptz, v_time time, v_null date)",

             "DROP VIEW IF EXISTS results_meta_view",
             "DROP TABLE IF EXISTS results_meta",
             "CREATE TABLE results_meta (id int, name varchar(20) NOT NULL DEFAULT 'x', "
             "price numeric(10,2), created timestamptz, flag bool DEFAULT true, "
             "serialno serial, PRIMARY KEY (id, name))",
             "CREATE VIEW results_meta_view AS SELECT id, name FROM results_meta",

             "DROP TABLE IF EXISTS results_model",
             "CREATE TABLE results_model (id int PRIMARY KEY, name text NOT NULL, qty int)",
             "INSERT INTO results_model VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30)",

             "DROP TABLE IF EXISTS results_items",
             "DROP TABLE IF EXISTS results_categories",
             "CREATE TABLE results_categories (id int PRIMARY KEY, name text NOT NULL)",
             "INSERT INTO results_categories VALUES (1, 'tools'), (2, 'garden'), (3, 'kitchen')",
             "CREATE TABLE results_items (id int PRIMARY KEY, title text NOT NULL, "
             "category_id int REFERENCES results_categories (id))",
             "INSERT INTO results_items VALUES (1, 'saw', 1), (2, 'rake', 2), (3, 'pan', 3), "
             "(4, 'drill', 1)",
         }) {
        QVERIFY2(m_test.execOn(Node::Primary, QString::fromUtf8(sql), &error), qPrintable(error));
    }
    QVERIFY(m_test.waitForReplication());
}

void tst_Results::init()
{
    m_cluster = uniqueClusterName("results");
    m_ha = haDatabase(u"results"_s, m_cluster);
    QVERIFY2(m_ha.open(), qPrintable(m_ha.lastError().text()));
    m_direct = m_test.openDirect(Node::Primary, u"results-direct"_s);
    QVERIFY2(m_direct.isOpen(), qPrintable(m_direct.lastError().text()));
}

void tst_Results::cleanup()
{
    m_ha = QSqlDatabase();
    m_direct = QSqlDatabase();
    dropDatabase(u"results"_s);
    dropDatabase(u"results-direct"_s);
}

quint64 tst_Results::readerQueries() const
{
    return nodeHandle(m_cluster, Node::Reader1).queries()
        + nodeHandle(m_cluster, Node::Reader2).queries();
}

quint64 tst_Results::primaryQueries() const
{
    return nodeHandle(m_cluster, Node::Primary).queries();
}

void tst_Results::valuesAndTypes_data()
{
    QTest::addColumn<int>("policy");
    QTest::addColumn<bool>("onDatabase");
    QTest::addColumn<bool>("forwardOnly");
    QTest::addColumn<int>("numericType"); // what c_numeric must come back as, to be sure

    const struct
    {
        const char *name;
        QSql::NumericalPrecisionPolicy policy;
        int numericType;
    } policies[] = {
        {"LowPrecisionDouble", QSql::LowPrecisionDouble, QMetaType::Double},
        {"HighPrecision", QSql::HighPrecision, QMetaType::QString},
        {"LowPrecisionInt64", QSql::LowPrecisionInt64, QMetaType::LongLong},
        {"LowPrecisionInt32", QSql::LowPrecisionInt32, QMetaType::Int},
    };
    for (const auto &p : policies) {
        for (bool onDatabase : {false, true}) {
            for (bool forwardOnly : {false, true}) {
                QTest::addRow("%s%s%s", p.name, onDatabase ? ", set on the database" : "",
                              forwardOnly ? ", forward only" : "")
                    << int(p.policy) << onDatabase << forwardOnly << p.numericType;
            }
        }
    }
}

void tst_Results::valuesAndTypes()
{
    QFETCH(int, policy);
    QFETCH(bool, onDatabase);
    QFETCH(bool, forwardOnly);
    QFETCH(int, numericType);
    const auto precision = QSql::NumericalPrecisionPolicy(policy);
    if (onDatabase) {
        m_ha.setNumericalPrecisionPolicy(precision);
        m_direct.setNumericalPrecisionPolicy(precision);
    }
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    for (QSqlQuery *q : {&ha, &plain}) {
        q->setForwardOnly(forwardOnly);
        if (!onDatabase)
            q->setNumericalPrecisionPolicy(precision);
    }
    const QString sql = u"SELECT * FROM results_types ORDER BY id"_s;
    const quint64 readsBefore = readerQueries();
    const quint64 writesBefore = primaryQueries();
    QVERIFY2(ha.exec(sql), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.exec(sql), qPrintable(plain.lastError().text()));
    // The QPSQLHA side really came from a replica.
    QCOMPARE(readerQueries(), readsBefore + 1);
    QCOMPARE(primaryQueries(), writesBefore);

    COMPARE_STATE(ha, plain, u"after exec"_s);
    QCOMPARE(ha.record().count(), 24);
    QCOMPARE(ha.record().fieldName(4), u"c_numeric"_s);

    int rows = 0;
    const QString diff = walkDiff(ha, plain, &rows);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(rows, 4);

    // The policy reached the node: the same statement again, looking at c_numeric of row 1.
    QVERIFY(ha.exec(sql));
    QVERIFY(ha.next());
    QCOMPARE(ha.value(u"c_numeric"_s).metaType().id(), numericType);
    if (numericType == QMetaType::QString)
        QCOMPARE(ha.value(u"c_numeric"_s).toString(), u"123456789012345.12345"_s);
    QCOMPARE(ha.value(u"c_bytea"_s).toByteArray(), QByteArray("\x00\xff\x7f\x0a\x27\x00", 6));
    QVERIFY(ha.next());
    QCOMPARE(ha.value(u"c_text"_s).toString(),
             QString::fromUtf8("emoji \U0001F600 CJK \u6f22\u5b57 \u00fcml\u00e4ut"));
}

void tst_Results::rowCounts()
{
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    struct Step
    {
        const char *sql;
        int affected;
    };
    // %1 is the owner, so that both connections do the same to rows of their own.
    const Step steps[] = {
        {"INSERT INTO results_rows (owner, n, label) VALUES ('%1', 1, 'a'), ('%1', 2, 'b'), "
         "('%1', 3, 'c')",
         3},
        {"UPDATE results_rows SET n = n * 10 WHERE owner = '%1'", 3},
        {"UPDATE results_rows SET label = label || '!' WHERE owner = '%1' AND n > 10", 2},
        {"UPDATE results_rows SET n = 0 WHERE false", 0},
        {"DELETE FROM results_rows WHERE owner = '%1' AND n = 10", 1},
        {"DELETE FROM results_rows WHERE owner = '%1' AND n = -1", 0},
        {"CREATE TEMP TABLE results_tmp_%1 (x int)", 0},
    };
    for (const Step &step : steps) {
        const QString sql = QString::fromUtf8(step.sql);
        QVERIFY2(ha.exec(QString(sql).replace(u"%1"_s, u"ha"_s)),
                 qPrintable(ha.lastError().text()));
        QVERIFY2(plain.exec(QString(sql).replace(u"%1"_s, u"direct"_s)),
                 qPrintable(plain.lastError().text()));
        COMPARE_STATE(ha, plain, sql);
        QCOMPARE(ha.numRowsAffected(), step.affected);
        QVERIFY(!ha.isSelect());
        QCOMPARE(ha.size(), -1);
    }

    QVERIFY(m_test.waitForReplication());
    for (const char *select : {
             "SELECT n, label FROM results_rows WHERE owner = '%1' ORDER BY n",
             "SELECT g, g * 2 AS twice FROM generate_series(1, 10) g",
             "SELECT 1 WHERE false",
             "SELECT count(*) FROM results_rows WHERE owner = '%1'",
         }) {
        const QString sql = QString::fromUtf8(select);
        QVERIFY2(ha.exec(QString(sql).replace(u"%1"_s, u"ha"_s)),
                 qPrintable(ha.lastError().text()));
        QVERIFY2(plain.exec(QString(sql).replace(u"%1"_s, u"direct"_s)),
                 qPrintable(plain.lastError().text()));
        COMPARE_STATE(ha, plain, sql);
        QVERIFY(ha.isSelect());
        QVERIFY(ha.size() >= 0);
        COMPARE_WALK(ha, plain, sql);
    }
    QVERIFY(ha.exec(u"SELECT n FROM results_rows WHERE owner = 'ha'"_s));
    QCOMPARE(ha.size(), 2);
}

void tst_Results::scrollableNavigation_data()
{
    QTest::addColumn<QString>("sql");
    QTest::newRow("ten rows") << u"SELECT g, g * 2 AS twice FROM generate_series(1, 10) g"_s;
    QTest::newRow("one row") << u"SELECT 'only' AS one"_s;
    QTest::newRow("no rows") << u"SELECT 1 AS nothing WHERE false"_s;
    QTest::newRow("table") << u"SELECT id, c_text FROM results_types ORDER BY id"_s;
}

void tst_Results::scrollableNavigation()
{
    QFETCH(QString, sql);
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    QVERIFY2(ha.exec(sql), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.exec(sql), qPrintable(plain.lastError().text()));
    COMPARE_STATE(ha, plain, u"after exec"_s);

    using Move = std::function<bool(QSqlQuery &)>;
    const QList<QPair<const char *, Move>> moves = {
        {"next",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"next",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"last",
         [](QSqlQuery &q) {
             return q.last();
         }},
        {"previous",
         [](QSqlQuery &q) {
             return q.previous();
         }},
        {"previous",
         [](QSqlQuery &q) {
             return q.previous();
         }},
        {"first",
         [](QSqlQuery &q) {
             return q.first();
         }},
        {"previous (before first)",
         [](QSqlQuery &q) {
             return q.previous();
         }},
        {"next",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"seek(5)",
         [](QSqlQuery &q) {
             return q.seek(5);
         }},
        {"seek(2, relative)",
         [](QSqlQuery &q) {
             return q.seek(2, true);
         }},
        {"seek(-3, relative)",
         [](QSqlQuery &q) {
             return q.seek(-3, true);
         }},
        {"seek(3)",
         [](QSqlQuery &q) {
             return q.seek(3);
         }},
        {"seek(4) (next row)",
         [](QSqlQuery &q) {
             return q.seek(4);
         }},
        {"seek(3) (previous row)",
         [](QSqlQuery &q) {
             return q.seek(3);
         }},
        {"seek(-1)",
         [](QSqlQuery &q) {
             return q.seek(-1);
         }},
        {"next after seek(-1)",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"seek(1)",
         [](QSqlQuery &q) {
             return q.seek(1);
         }},
        {"seek(-1) again",
         [](QSqlQuery &q) {
             return q.seek(-1);
         }},
        {"seek(100)",
         [](QSqlQuery &q) {
             return q.seek(100);
         }},
        {"next past the end",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"previous from after last",
         [](QSqlQuery &q) {
             return q.previous();
         }},
        {"seek(9)",
         [](QSqlQuery &q) {
             return q.seek(9);
         }},
        {"next off the end",
         [](QSqlQuery &q) {
             return q.next();
         }},
        {"last",
         [](QSqlQuery &q) {
             return q.last();
         }},
        {"seek(0)",
         [](QSqlQuery &q) {
             return q.seek(0);
         }},
        {"seek(-1, relative) off the front",
         [](QSqlQuery &q) {
             return q.seek(-1, true);
         }},
        {"first",
         [](QSqlQuery &q) {
             return q.first();
         }},
    };
    for (const auto &[name, move] : moves) {
        const bool haMoved = move(ha);
        const bool plainMoved = move(plain);
        const QString step = QString::fromUtf8(name);
        QVERIFY2(haMoved == plainMoved,
                 qPrintable(u"%1: QPSQLHA %2, QPSQL %3"_s.arg(step).arg(haMoved).arg(plainMoved)));
        COMPARE_STATE(ha, plain, step);
    }
    ha.finish();
    plain.finish();
    COMPARE_STATE(ha, plain, u"finish()"_s);
    QVERIFY(!ha.isActive());
    QVERIFY(!ha.next());
}

void tst_Results::insertReturning()
{
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const QString sql = u"INSERT INTO results_rows (owner, n, label) VALUES ('%1', 7, 'x'), "
                        "('%1', 8, NULL), ('%1', 9, 'z\u00fc') RETURNING n, label, "
                        "owner = '%1' AS mine, id > 0 AS has_id"_s;
    QVERIFY2(ha.exec(sql.arg(u"ha-returning"_s)), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.exec(sql.arg(u"direct-returning"_s)), qPrintable(plain.lastError().text()));
    COMPARE_STATE(ha, plain, u"after exec"_s);
    QVERIFY(ha.isSelect());
    QCOMPARE(ha.size(), 3);
    QCOMPARE(ha.numRowsAffected(), 3);
    COMPARE_WALK(ha, plain, u"rows"_s);
    QCOMPARE(m_test.queryValue(Node::Primary,
                               u"SELECT count(*) FROM results_rows WHERE owner = 'ha-returning'"_s),
             u"3"_s);

    // lastInsertId(): each connection's own sequence value, of the same type.
    const QString plainInsert = u"INSERT INTO results_rows (owner, n) VALUES ('%1', 0)"_s;
    QVERIFY(ha.exec(plainInsert.arg(u"ha-returning"_s)));
    QVERIFY(plain.exec(plainInsert.arg(u"direct-returning"_s)));
    COMPARE_STATE(ha, plain, plainInsert);
    QCOMPARE(ha.lastInsertId().metaType(), plain.lastInsertId().metaType());
    QCOMPARE(ha.lastInsertId().toString(),
             m_test.queryValue(Node::Primary,
                               u"SELECT max(id) FROM results_rows WHERE owner = 'ha-returning'"_s));

    const QString del = u"DELETE FROM results_rows WHERE owner = '%1' AND n > 7 RETURNING n"_s;
    QVERIFY2(ha.exec(del.arg(u"ha-returning"_s)), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.exec(del.arg(u"direct-returning"_s)), qPrintable(plain.lastError().text()));
    COMPARE_STATE(ha, plain, del);
    QCOMPARE(ha.size(), 2);
    QVERIFY(ha.last());
    QVERIFY(plain.last());
    COMPARE_STATE(ha, plain, u"last() of DELETE ... RETURNING"_s);
}

void tst_Results::forwardOnlyLargeResult_data()
{
    QTest::addColumn<bool>("prepared");
    QTest::newRow("exec(sql)") << false;
    QTest::newRow("prepared") << true;
}

void tst_Results::forwardOnlyLargeResult()
{
    QFETCH(bool, prepared);
    constexpr int rowCount = 200000;
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const quint64 readsBefore = readerQueries();
    for (QSqlQuery *q : {&ha, &plain}) {
        q->setForwardOnly(true);
        if (prepared) {
            QVERIFY2(q->prepare(u"SELECT g, md5(g::text) FROM generate_series(1, ?) g"_s),
                     qPrintable(q->lastError().text()));
            q->addBindValue(rowCount);
            QVERIFY2(q->exec(), qPrintable(q->lastError().text()));
        } else {
            QVERIFY2(
                q->exec(u"SELECT g, md5(g::text) FROM generate_series(1, %1) g"_s.arg(rowCount)),
                qPrintable(q->lastError().text()));
        }
    }
    QCOMPARE(readerQueries(), readsBefore + 1);
    // QPSQL cannot know the size of a streamed result; whatever it says, QPSQLHA says too.
    QCOMPARE(ha.size(), plain.size());
    COMPARE_STATE(ha, plain, u"after exec"_s);

    struct Walk
    {
        int rows = 0;
        QByteArray checksum;
        QString firstMd5;
        int firstTypes[2] = {};
    };
    auto walk = [](QSqlQuery &q) {
        Walk w;
        QCryptographicHash hash(QCryptographicHash::Sha256);
        while (q.next()) {
            const QVariant g = q.value(0);
            const QVariant md5 = q.value(1);
            if (w.rows == 0) {
                w.firstMd5 = md5.toString();
                w.firstTypes[0] = g.metaType().id();
                w.firstTypes[1] = md5.metaType().id();
            }
            hash.addData(QByteArray::number(g.toLongLong()));
            hash.addData(QByteArrayView(":"));
            hash.addData(md5.toString().toLatin1());
            hash.addData(QByteArrayView("\n"));
            ++w.rows;
        }
        w.checksum = hash.result().toHex();
        return w;
    };
    const Walk haWalk = walk(ha);
    const Walk plainWalk = walk(plain);
    QCOMPARE(haWalk.rows, plainWalk.rows);
    QCOMPARE(haWalk.rows, rowCount);
    QCOMPARE(haWalk.checksum, plainWalk.checksum);
    QCOMPARE(haWalk.firstMd5, u"c4ca4238a0b923820dcc509a6f75849b"_s); // md5('1')
    QCOMPARE(haWalk.firstTypes[0], plainWalk.firstTypes[0]);
    QCOMPARE(haWalk.firstTypes[1], plainWalk.firstTypes[1]);
    COMPARE_STATE(ha, plain, u"after the last row"_s);

    // Again on the same query objects, stopping half-way: the rest is discarded on both.
    for (QSqlQuery *q : {&ha, &plain}) {
        if (prepared) {
            q->addBindValue(10);
            QVERIFY2(q->exec(), qPrintable(q->lastError().text()));
        } else {
            QVERIFY(q->exec(u"SELECT g FROM generate_series(1, 10) g"_s));
        }
    }
    COMPARE_STATE(ha, plain, u"second exec"_s);
    for (int i = 0; i < 5; ++i) {
        QVERIFY(ha.next());
        QVERIFY(plain.next());
    }
    COMPARE_STATE(ha, plain, u"half-way"_s);
    QVERIFY(ha.exec(u"SELECT 42"_s));
    QVERIFY(plain.exec(u"SELECT 42"_s));
    COMPARE_WALK(ha, plain, u"a new statement after a half-read one"_s);
}

void tst_Results::forwardOnlyErrorMidStream_data()
{
    QTest::addColumn<bool>("prepared");
    QTest::newRow("exec(sql)") << false;
    QTest::newRow("prepared") << true;
}

void tst_Results::forwardOnlyErrorMidStream()
{
    // In forward-only mode QPSQL streams rows; an error after the first rows shows up while
    // fetching, in lastError(), not in exec().
    QFETCH(bool, prepared);
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const QString sql = u"SELECT g, 1 / (g - 5000) FROM generate_series(1, 10000) g"_s;
    bool execOk[2] = {};
    int i = 0;
    for (QSqlQuery *q : {&ha, &plain}) {
        q->setForwardOnly(true);
        if (prepared) {
            QVERIFY2(q->prepare(sql), qPrintable(q->lastError().text()));
            execOk[i++] = q->exec();
        } else {
            execOk[i++] = q->exec(sql);
        }
    }
    QCOMPARE(execOk[0], execOk[1]);
    COMPARE_STATE(ha, plain, u"after exec"_s);
    int haRows = 0;
    while (ha.next())
        ++haRows;
    int plainRows = 0;
    while (plain.next())
        ++plainRows;
    QCOMPARE(haRows, plainRows);
    QVERIFY(plain.lastError().isValid()); // the premise: QPSQL reports the error here
    QCOMPARE(plain.lastError().nativeErrorCode(), u"22012"_s);
    COMPARE_STATE(ha, plain, u"after the failing fetch"_s);
}

void tst_Results::errors_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("prepared");
    QTest::addColumn<QVariantList>("haGood"); // bindings that succeed first (prepared)
    QTest::addColumn<QVariantList>("directGood"); // the same for the QPSQL connection
    QTest::addColumn<QVariantList>("bad"); // bindings that fail (prepared)
    QTest::addColumn<QString>("sqlState");

    const QVariantList none;
    QTest::newRow("syntax error") << u"SELEC 1"_s << false << none << none << none << u"42601"_s;
    QTest::newRow("missing table")
        << u"SELECT * FROM results_missing_table"_s << false << none << none << none << u"42P01"_s;
    QTest::newRow("division by zero")
        << u"SELECT 1 / 0"_s << false << none << none << none << u"22012"_s;
    QTest::newRow("invalid input")
        << u"SELECT 'x'::int"_s << false << none << none << none << u"22P02"_s;
    QTest::newRow("unique violation") << u"INSERT INTO results_unique (id, name) VALUES (1, 'd')"_s
                                      << false << none << none << none << u"23505"_s;
    QTest::newRow("not-null violation")
        << u"INSERT INTO results_unique (id, name) VALUES (2, NULL)"_s << false << none << none
        << none << u"23502"_s;

    QTest::newRow("prepared syntax error")
        << u"SELEC ?"_s << true << none << none << none << u"42601"_s;
    QTest::newRow("prepared missing table") << u"SELECT * FROM results_missing_table WHERE id = ?"_s
                                            << true << none << none << none << u"42P01"_s;
    QTest::newRow("prepared division by zero")
        << u"SELECT 10 / ?::int"_s << true << QVariantList {2} << QVariantList {2}
        << QVariantList {0} << u"22012"_s;
    QTest::newRow("prepared unique violation")
        << u"INSERT INTO results_unique (id, name) VALUES (?, ?)"_s << true
        << QVariantList {10, u"ha"_s} << QVariantList {11, u"direct"_s}
        << QVariantList {1, u"dup"_s} << u"23505"_s;
    QTest::newRow("prepared not-null violation")
        << u"INSERT INTO results_unique (id, name) VALUES (:id, :name)"_s << true
        << QVariantList {20, u"ha"_s} << QVariantList {21, u"direct"_s}
        << QVariantList {2, nullOf(QMetaType::fromType<QString>())} << u"23502"_s;
}

void tst_Results::errors()
{
    QFETCH(QString, sql);
    QFETCH(bool, prepared);
    QFETCH(QVariantList, haGood);
    QFETCH(QVariantList, directGood);
    QFETCH(QVariantList, bad);
    QFETCH(QString, sqlState);

    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    // Something successful on the same query objects first: failing must leave no trace of it.
    QVERIFY(ha.exec(u"SELECT 1 AS before"_s) && ha.next());
    QVERIFY(plain.exec(u"SELECT 1 AS before"_s) && plain.next());

    auto bind = [](QSqlQuery &q, const QVariantList &values) {
        for (int i = 0; i < values.size(); ++i)
            q.bindValue(i, values.at(i));
    };
    if (!prepared) {
        QVERIFY(!ha.exec(sql));
        QVERIFY(!plain.exec(sql));
    } else {
        const bool haPrepared = ha.prepare(sql);
        const bool plainPrepared = plain.prepare(sql);
        QCOMPARE(haPrepared, plainPrepared);
        COMPARE_STATE(ha, plain, u"after prepare"_s);
        if (plainPrepared) {
            bind(ha, haGood);
            bind(plain, directGood);
            QVERIFY2(ha.exec(), qPrintable(ha.lastError().text()));
            QVERIFY2(plain.exec(), qPrintable(plain.lastError().text()));
            COMPARE_STATE(ha, plain, u"successful exec"_s);
            if (ha.isSelect()) {
                QVERIFY(ha.next());
                QVERIFY(plain.next());
                COMPARE_STATE(ha, plain, u"successful exec, first row"_s);
            }
            bind(ha, bad);
            bind(plain, bad);
            QVERIFY(!ha.exec());
            QVERIFY(!plain.exec());
        }
    }
    COMPARE_STATE(ha, plain, u"after the error"_s);
    QCOMPARE(ha.lastError().nativeErrorCode(), sqlState);
    QVERIFY(!ha.lastError().databaseText().isEmpty());

    // The query object is usable afterwards, on both.
    QVERIFY(ha.exec(u"SELECT 2 AS after"_s));
    QVERIFY(plain.exec(u"SELECT 2 AS after"_s));
    COMPARE_STATE(ha, plain, u"next statement"_s);
    COMPARE_WALK(ha, plain, u"next statement"_s);
}

void tst_Results::preparedBindings_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QVariant>("first");
    QTest::addColumn<QVariant>("second");

    QTest::newRow("QString") << u"text"_s
                             << QVariant(u"it's a \"test\" with \\ and \\\\ and ? and :x"_s)
                             << QVariant(u"second ''value'' \\'"_s);
    QTest::newRow("QString unicode")
        << u"text"_s << QVariant(QString::fromUtf8("\U0001F600 \u6f22\u5b57 \u00fc"))
        << QVariant(QString(u""_s));
    QTest::newRow("int") << u"int"_s << QVariant(42) << QVariant(int(-2147483647 - 1));
    QTest::newRow("qlonglong") << u"bigint"_s << QVariant(qlonglong(Q_INT64_C(9223372036854775807)))
                               << QVariant(qlonglong(Q_INT64_C(-9007199254740993)));
    QTest::newRow("double") << u"float8"_s << QVariant(3.141592653589793) << QVariant(-1.5e-300);
    QTest::newRow("double special") << u"float8"_s << QVariant(qQNaN()) << QVariant(-qInf());
    QTest::newRow("bool") << u"bool"_s << QVariant(true) << QVariant(false);
    QTest::newRow("QByteArray") << u"bytea"_s << QVariant(QByteArray("\0\x01\xff'\\x\"", 7))
                                << QVariant(QByteArray("\x80\x7f plain", 8));
    QTest::newRow("QDate") << u"date"_s << QVariant(QDate(2024, 2, 29))
                           << QVariant(QDate(1999, 12, 31));
    QTest::newRow("QDateTime UTC")
        << u"timestamptz"_s
        << QVariant(QDateTime(QDate(2024, 2, 29), QTime(12, 34, 56, 789), Qt::UTC))
        << QVariant(QDateTime(QDate(1970, 1, 1), QTime(0, 0), Qt::OffsetFromUTC, 19800));
    QTest::newRow("QDateTime to timestamp")
        << u"timestamp"_s << QVariant(QDateTime(QDate(2024, 2, 29), QTime(1, 2, 3, 4), Qt::UTC))
        << QVariant(QDateTime(QDate(2000, 1, 1), QTime(23, 59, 59, 999)));
    QTest::newRow("QTime") << u"time"_s << QVariant(QTime(23, 59, 59, 999))
                           << QVariant(QTime(0, 0));
    QTest::newRow("null QString") << u"text"_s << nullOf(QMetaType::fromType<QString>())
                                  << QVariant(u"not null now"_s);
    QTest::newRow("null int") << u"int"_s << nullOf(QMetaType::fromType<int>()) << QVariant(7);
    QTest::newRow("null QDate") << u"date"_s << nullOf(QMetaType::fromType<QDate>())
                                << QVariant(QDate(2000, 1, 1));
    QTest::newRow("null QByteArray")
        << u"bytea"_s << nullOf(QMetaType::fromType<QByteArray>()) << QVariant(QByteArray("x"));
    QTest::newRow("null QDateTime")
        << u"timestamptz"_s << nullOf(QMetaType::fromType<QDateTime>())
        << QVariant(QDateTime(QDate(2001, 2, 3), QTime(4, 5, 6), Qt::UTC));
}

void tst_Results::preparedBindings()
{
    QFETCH(QString, type);
    QFETCH(QVariant, first);
    QFETCH(QVariant, second);

    const QString positional
        = u"SELECT ?::%1 AS v, (?::%1)::text AS t, ?::%1 IS NULL AS is_null"_s.arg(type);
    const QString named = u"SELECT :v::%1 AS v, (:v::%1)::text AS t, :n::int AS n"_s.arg(type);
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);

    // Positional: three bindings of the same value.
    QVERIFY2(ha.prepare(positional), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.prepare(positional), qPrintable(plain.lastError().text()));
    int round = 0;
    for (const QVariant &value : {first, second, first}) {
        const QString step = u"positional, round %1, value %2"_s.arg(round++).arg(describe(value));
        for (QSqlQuery *q : {&ha, &plain}) {
            for (int i = 0; i < 3; ++i)
                q->bindValue(i, value);
        }
        const quint64 readsBefore = readerQueries();
        QVERIFY2(ha.exec(), qPrintable(step + u": "_s + ha.lastError().text()));
        QVERIFY2(plain.exec(), qPrintable(step + u": "_s + plain.lastError().text()));
        QCOMPARE(readerQueries(), readsBefore + 1);
        COMPARE_STATE(ha, plain, step + u" after exec"_s);
        QCOMPARE(ha.at(), int(QSql::BeforeFirstRow));
        QCOMPARE(ha.boundValues().size(), plain.boundValues().size());
        QCOMPARE(ha.executedQuery(), plain.executedQuery());
        QCOMPARE(ha.lastQuery(), plain.lastQuery());
        int rows = 0;
        const QString diff = walkDiff(ha, plain, &rows);
        QVERIFY2(diff.isEmpty(), qPrintable(step + u": "_s + diff));
        QCOMPARE(rows, 1);
    }

    // Named: :v used twice, bound once.
    QVERIFY2(ha.prepare(named), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.prepare(named), qPrintable(plain.lastError().text()));
    round = 0;
    for (const QVariant &value : {second, first}) {
        const QString step = u"named, round %1, value %2"_s.arg(round).arg(describe(value));
        for (QSqlQuery *q : {&ha, &plain}) {
            q->bindValue(u":v"_s, value);
            q->bindValue(u":n"_s, round);
        }
        ++round;
        QVERIFY2(ha.exec(), qPrintable(step + u": "_s + ha.lastError().text()));
        QVERIFY2(plain.exec(), qPrintable(step + u": "_s + plain.lastError().text()));
        COMPARE_STATE(ha, plain, step + u" after exec"_s);
        QCOMPARE(ha.executedQuery(), plain.executedQuery());
        // Only the first row, then exec again: the next exec starts over on both.
        QVERIFY(ha.next());
        QVERIFY(plain.next());
        COMPARE_STATE(ha, plain, step + u" first row"_s);
    }
    QVERIFY(ha.exec());
    QVERIFY(plain.exec());
    COMPARE_STATE(ha, plain, u"named, exec without reading the previous result"_s);
    COMPARE_WALK(ha, plain, u"named, last round"_s);
}

// Binding a position again takes a short cut in QPSQLHA (only the value is replaced once the
// position was bound as an input): every way of binding, mixed, must leave what QPSQL leaves.
void tst_Results::rebindingAsQpsqlDoes()
{
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    auto both = [&](auto &&step) {
        step(ha);
        step(plain);
    };
    auto compare = [&](const QString &step, bool ran) {
        QCOMPARE(ha.boundValues(), plain.boundValues());
        for (int i = 0; i < plain.boundValues().size(); ++i)
            QCOMPARE(ha.boundValue(i), plain.boundValue(i));
        if (!ran)
            return;
        QVERIFY2(ha.exec(), qPrintable(step + u": "_s + ha.lastError().text()));
        QVERIFY2(plain.exec(), qPrintable(step + u": "_s + plain.lastError().text()));
        QCOMPARE(ha.executedQuery(), plain.executedQuery());
        COMPARE_WALK(ha, plain, step);
    };
    const QString three = u"SELECT ?::int AS a, ?::text AS b, ?::int AS c"_s;

    both([&](QSqlQuery &q) { QVERIFY(q.prepare(three)); });
    both([](QSqlQuery &q) {
        q.bindValue(0, 1);
        q.bindValue(1, u"one"_s);
        q.bindValue(2, 10);
    });
    compare(u"first binding"_s, true);
    both([](QSqlQuery &q) {
        q.bindValue(2, 30); // out of order, then the rest
        q.bindValue(0, 3);
        q.bindValue(1, u"three"_s);
    });
    compare(u"bound again"_s, true);
    both([](QSqlQuery &q) {
        q.addBindValue(4);
        q.addBindValue(u"four"_s);
        q.addBindValue(QVariant(QMetaType::fromType<int>())); // null
    });
    compare(u"addBindValue"_s, true);
    both([](QSqlQuery &q) {
        q.bindValue(1, u"five"_s, QSql::InOut); // another type: the full path, both ways
        q.bindValue(0, 5);
        q.bindValue(2, 50);
        q.bindValue(1, u"five"_s, QSql::In);
    });
    compare(u"type changed and back"_s, true);

    // A named binding in between makes the syntax named; positions go back to positional.
    both([](QSqlQuery &q) {
        q.bindValue(u":x"_s, 99);
        q.bindValue(0, 6);
        q.bindValue(1, u"six"_s);
        q.bindValue(2, 60);
    });
    compare(u"after a named binding"_s, false);
    QCOMPARE(ha.boundValue(u":x"_s), plain.boundValue(u":x"_s));

    // Another statement: fewer placeholders, values start over.
    both([](QSqlQuery &q) { QVERIFY(q.prepare(u"SELECT ?::int + 1 AS a"_s)); });
    compare(u"prepared again"_s, false);
    both([](QSqlQuery &q) { q.bindValue(0, 7); });
    compare(u"one placeholder"_s, true);
    both([](QSqlQuery &q) { q.bindValue(0, 8); });
    compare(u"one placeholder again"_s, true);

    // exec(QString) clears the bindings; binding and preparing work as before afterwards.
    both([](QSqlQuery &q) { QVERIFY(q.exec(u"SELECT 1"_s)); });
    compare(u"after exec(QString)"_s, false);
    both([&](QSqlQuery &q) {
        QVERIFY(q.prepare(three));
        q.bindValue(0, 9);
        q.bindValue(1, u"nine"_s);
        q.bindValue(2, 90);
    });
    compare(u"prepared after exec(QString)"_s, true);
    both([](QSqlQuery &q) {
        q.bindValue(0, 10);
        q.bindValue(1, u"ten"_s);
        q.bindValue(2, 100);
    });
    compare(u"and bound again"_s, true);
}

void tst_Results::preparedInsertRoundTrip()
{
    const QString insert
        = u"INSERT INTO results_bind (owner, v_text, v_int, v_big, v_double, v_bool, v_bytes, "
          "v_date, v_ts, v_time, v_null) VALUES (:owner, :text, :int, :big, :double, :bool, "
          ":bytes, :date, :ts, :time, :null)"_s;
    struct Row
    {
        QVariant text, i, big, dbl, b, bytes, date, ts, time, null;
    };
    const Row rows[] = {
        {u"O'Reilly \\ \"quoted\" \U0001F600"_s, 1, qlonglong(Q_INT64_C(-9223372036854775807)), 0.1,
         true, QByteArray("\0\xff\x00\x27", 4), QDate(2024, 2, 29),
         QDateTime(QDate(2024, 2, 29), QTime(12, 0, 0, 1), Qt::UTC), QTime(1, 2, 3, 4),
         nullOf(QMetaType::fromType<QDate>())},
        {nullOf(QMetaType::fromType<QString>()), nullOf(QMetaType::fromType<int>()),
         nullOf(QMetaType::fromType<qlonglong>()), nullOf(QMetaType::fromType<double>()),
         nullOf(QMetaType::fromType<bool>()), nullOf(QMetaType::fromType<QByteArray>()),
         nullOf(QMetaType::fromType<QDate>()), nullOf(QMetaType::fromType<QDateTime>()),
         nullOf(QMetaType::fromType<QTime>()), nullOf(QMetaType::fromType<QDate>())},
        {u""_s, -1, qlonglong(0), -0.0, false, QByteArray(""), QDate(1, 1, 1),
         QDateTime(QDate(1999, 12, 31), QTime(23, 59, 59, 999), Qt::OffsetFromUTC, -3600),
         QTime(0, 0), nullOf(QMetaType::fromType<QDate>())},
    };
    {
        QSqlQuery ha(m_ha);
        QSqlQuery plain(m_direct);
        QVERIFY2(ha.prepare(insert), qPrintable(ha.lastError().text()));
        QVERIFY2(plain.prepare(insert), qPrintable(plain.lastError().text()));
        for (const Row &row : rows) {
            for (QSqlQuery *q : {&ha, &plain}) {
                q->bindValue(u":owner"_s, q == &ha ? u"ha"_s : u"direct"_s);
                q->bindValue(u":text"_s, row.text);
                q->bindValue(u":int"_s, row.i);
                q->bindValue(u":big"_s, row.big);
                q->bindValue(u":double"_s, row.dbl);
                q->bindValue(u":bool"_s, row.b);
                q->bindValue(u":bytes"_s, row.bytes);
                q->bindValue(u":date"_s, row.date);
                q->bindValue(u":ts"_s, row.ts);
                q->bindValue(u":time"_s, row.time);
                q->bindValue(u":null"_s, row.null);
            }
            const quint64 writesBefore = primaryQueries();
            QVERIFY2(ha.exec(), qPrintable(ha.lastError().text()));
            QVERIFY2(plain.exec(), qPrintable(plain.lastError().text()));
            QCOMPARE(primaryQueries(), writesBefore + 1);
            COMPARE_STATE(ha, plain, u"insert"_s);
            QCOMPARE(ha.numRowsAffected(), 1);
        }
    }
    QCOMPARE(
        m_test.queryValue(Node::Primary, u"SELECT count(*) FROM results_bind WHERE owner = 'ha'"_s),
        u"3"_s);

    QVERIFY(m_test.waitForReplication());
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const QString select
        = u"SELECT v_text, v_int, v_big, v_double, v_bool, v_bytes, v_date, "
          "v_ts, v_time, v_null FROM results_bind WHERE owner = '%1' ORDER BY id"_s;
    QVERIFY2(ha.exec(select.arg(u"ha"_s)), qPrintable(ha.lastError().text()));
    QVERIFY2(plain.exec(select.arg(u"direct"_s)), qPrintable(plain.lastError().text()));
    COMPARE_STATE(ha, plain, u"select"_s);
    QCOMPARE(ha.size(), 3);
    COMPARE_WALK(ha, plain, u"rows written through both"_s);
    QVERIFY(ha.first());
    QCOMPARE(ha.value(0).toString(), u"O'Reilly \\ \"quoted\" \U0001F600"_s);
    QCOMPARE(ha.value(5).toByteArray(), QByteArray("\0\xff\x00\x27", 4));
}

void tst_Results::driverFeatures()
{
    QSqlDriver *ha = m_ha.driver();
    QSqlDriver *plain = m_direct.driver();
    QVERIFY(ha && plain);
    QCOMPARE(ha->dbmsType(), plain->dbmsType());
    // QSqlDriver::DriverFeature in declaration order (it is no Q_ENUM).
    const char *const names[] = {"Transactions",
                                 "QuerySize",
                                 "BLOB",
                                 "Unicode",
                                 "PreparedQueries",
                                 "NamedPlaceholders",
                                 "PositionalPlaceholders",
                                 "LastInsertId",
                                 "BatchOperations",
                                 "SimpleLocking",
                                 "LowPrecisionNumbers",
                                 "EventNotifications",
                                 "FinishQuery",
                                 "MultipleResultSets",
                                 "CancelQuery"};
    static_assert(std::size(names) == QSqlDriver::CancelQuery + 1);
    QStringList diffs;
    for (int feature = QSqlDriver::Transactions; feature <= QSqlDriver::CancelQuery; ++feature) {
        const auto f = QSqlDriver::DriverFeature(feature);
        if (ha->hasFeature(f) != plain->hasFeature(f))
            diffs.append(
                u"hasFeature(%1): QPSQLHA %2, QPSQL %3"_s.arg(QLatin1StringView(names[feature]))
                    .arg(int(ha->hasFeature(f)))
                    .arg(int(plain->hasFeature(f))));
    }
    QVERIFY2(diffs.isEmpty(), qPrintable(diffs.join(u"; "_s)));
}

void tst_Results::driverMetadata()
{
    QSqlDriver *ha = m_ha.driver();
    QSqlDriver *plain = m_direct.driver();
    QVERIFY(ha && plain);

    for (QSql::TableType type : {QSql::Tables, QSql::Views, QSql::SystemTables, QSql::AllTables}) {
        QStringList haTables = ha->tables(type);
        QStringList plainTables = plain->tables(type);
        haTables.sort();
        plainTables.sort();
        QCOMPARE(haTables, plainTables);
        QCOMPARE(m_ha.tables(type), m_direct.tables(type));
    }
    QVERIFY(ha->tables(QSql::Tables).contains(u"results_meta"_s));
    QVERIFY(!ha->tables(QSql::Tables).contains(u"results_meta_view"_s));
    QVERIFY(ha->tables(QSql::Views).contains(u"results_meta_view"_s));

    for (const QString &table :
         {u"results_meta"_s, u"results_types"_s, u"results_meta_view"_s, u"public.results_meta"_s,
          u"\"results_meta\""_s, u"results_missing_table"_s}) {
        const QString diff = recordDiff(ha->record(table), plain->record(table));
        QVERIFY2(diff.isEmpty(), qPrintable(u"record(%1): %2"_s.arg(table, diff)));
        const QString dbDiff = recordDiff(m_ha.record(table), m_direct.record(table));
        QVERIFY2(dbDiff.isEmpty(),
                 qPrintable(u"QSqlDatabase::record(%1): %2"_s.arg(table, dbDiff)));

        const QSqlIndex haIndex = ha->primaryIndex(table);
        const QSqlIndex plainIndex = plain->primaryIndex(table);
        QCOMPARE(haIndex.name(), plainIndex.name());
        QCOMPARE(haIndex.cursorName(), plainIndex.cursorName());
        const QString indexDiff = recordDiff(haIndex, plainIndex);
        QVERIFY2(indexDiff.isEmpty(), qPrintable(u"primaryIndex(%1): %2"_s.arg(table, indexDiff)));
        for (int i = 0; i < plainIndex.count(); ++i)
            QCOMPARE(haIndex.isDescending(i), plainIndex.isDescending(i));
    }
    QCOMPARE(ha->record(u"results_meta"_s).count(), 6);
    QCOMPARE(ha->primaryIndex(u"results_meta"_s).count(), 2);

    QList<QSqlField> fields;
    auto field = [&fields](QMetaType type, const QVariant &value) {
        QSqlField f(u"f"_s, type, u"results_meta"_s);
        if (value.isValid())
            f.setValue(value);
        fields.append(f);
    };
    field(QMetaType::fromType<QString>(), u"O'Reilly \\ \"x\"  "_s);
    field(QMetaType::fromType<QString>(), QVariant());
    field(QMetaType::fromType<QString>(), QString::fromUtf8("\U0001F600 \u6f22"));
    field(QMetaType::fromType<int>(), 42);
    field(QMetaType::fromType<int>(), QVariant());
    field(QMetaType::fromType<qlonglong>(), qlonglong(Q_INT64_C(-9223372036854775807)));
    field(QMetaType::fromType<double>(), 1.0 / 3);
    field(QMetaType::fromType<double>(), qQNaN());
    field(QMetaType::fromType<double>(), qInf());
    field(QMetaType::fromType<double>(), -qInf());
    field(QMetaType::fromType<bool>(), true);
    field(QMetaType::fromType<bool>(), false);
    field(QMetaType::fromType<QByteArray>(), QByteArray("\0\xff'\\", 4));
    field(QMetaType::fromType<QDate>(), QDate(2024, 2, 29));
    field(QMetaType::fromType<QTime>(), QTime(23, 59, 59, 999));
    field(QMetaType::fromType<QDateTime>(),
          QDateTime(QDate(2024, 2, 29), QTime(12, 34, 56, 789), Qt::UTC));
    field(QMetaType::fromType<QDateTime>(),
          QDateTime(QDate(2024, 2, 29), QTime(12, 34, 56), Qt::OffsetFromUTC, 7200));
    field(QMetaType::fromType<QDateTime>(), QVariant());
    for (const QSqlField &f : std::as_const(fields)) {
        for (bool trim : {false, true}) {
            QVERIFY2(ha->formatValue(f, trim) == plain->formatValue(f, trim),
                     qPrintable(u"formatValue(%1, trim %2): QPSQLHA %3, QPSQL %4"_s
                                    .arg(describe(f.value()))
                                    .arg(trim)
                                    .arg(ha->formatValue(f, trim), plain->formatValue(f, trim))));
        }
    }
    QCOMPARE(ha->formatValue(fields.first()), u"'O''Reilly \\ \"x\"  '"_s);

    for (QSqlDriver::IdentifierType type : {QSqlDriver::TableName, QSqlDriver::FieldName}) {
        for (const QString &identifier :
             {u"we\"ird.name"_s, u"plain"_s, u"\"already\""_s, u"Mixed Case"_s, u"s.t"_s}) {
            QCOMPARE(ha->escapeIdentifier(identifier, type),
                     plain->escapeIdentifier(identifier, type));
            QCOMPARE(ha->isIdentifierEscaped(identifier, type),
                     plain->isIdentifierEscaped(identifier, type));
            const QString escaped = plain->escapeIdentifier(identifier, type);
            QCOMPARE(ha->isIdentifierEscaped(escaped, type),
                     plain->isIdentifierEscaped(escaped, type));
            QCOMPARE(ha->stripDelimiters(escaped, type), plain->stripDelimiters(escaped, type));
        }
        QCOMPARE(ha->maximumIdentifierLength(type), plain->maximumIdentifierLength(type));
    }
    QCOMPARE(ha->escapeIdentifier(u"we\"ird.name"_s, QSqlDriver::TableName),
             u"\"we\"\"ird\".\"name\""_s);

    QSqlRecord rec = plain->record(u"results_meta"_s);
    rec.setValue(u"id"_s, 7);
    rec.setValue(u"name"_s, u"it's"_s);
    rec.setValue(u"price"_s, 12.5);
    rec.setValue(u"created"_s, QDateTime(QDate(2024, 1, 2), QTime(3, 4, 5), Qt::UTC));
    rec.setNull(u"flag"_s);
    rec.setGenerated(u"serialno"_s, false);
    for (const QString &table : {u"results_meta"_s, u"we\"ird.name"_s}) {
        for (auto statement :
             {QSqlDriver::SelectStatement, QSqlDriver::InsertStatement, QSqlDriver::UpdateStatement,
              QSqlDriver::DeleteStatement, QSqlDriver::WhereStatement}) {
            for (bool preparedStatement : {false, true}) {
                QCOMPARE(ha->sqlStatement(statement, table, rec, preparedStatement),
                         plain->sqlStatement(statement, table, rec, preparedStatement));
            }
        }
    }
    QVERIFY(ha->sqlStatement(QSqlDriver::InsertStatement, u"results_meta"_s, rec, false)
                .contains(u"'it''s'"_s));
}

void tst_Results::tableModelRoundTrip()
{
    QSqlTableModel model(nullptr, m_ha);
    QSqlTableModel plain(nullptr, m_direct);
    for (QSqlTableModel *m : {&model, &plain}) {
        m->setTable(u"results_model"_s);
        m->setEditStrategy(QSqlTableModel::OnManualSubmit);
        m->setSort(0, Qt::AscendingOrder);
        QVERIFY2(m->select(), qPrintable(m->lastError().text()));
    }
    QCOMPARE(model.rowCount(), 3);
    QString diff = modelDiff(model, plain);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QCOMPARE(model.primaryKey().count(), 1);
    QCOMPARE(model.primaryKey().fieldName(0), plain.primaryKey().fieldName(0));

    QSqlRecord rec = model.record();
    rec.setValue(u"id"_s, 100);
    rec.setValue(u"name"_s, u"inserted 'quoted' \u00fc"_s);
    rec.setValue(u"qty"_s, 5);
    QVERIFY(model.insertRecord(-1, rec));
    QVERIFY(model.setData(model.index(0, 1), u"renamed"_s)); // id 1
    QVERIFY(model.setData(model.index(0, 2), QVariant(nullOf(QMetaType::fromType<int>()))));
    QVERIFY(model.removeRows(1, 1)); // id 2
    QVERIFY2(model.submitAll(), qPrintable(model.lastError().text()));

    // The writes went to the primary.
    QCOMPARE(m_test.queryValue(Node::Primary, u"SELECT name FROM results_model WHERE id = 100"_s),
             u"inserted 'quoted' \u00fc"_s);
    QCOMPARE(m_test.queryValue(Node::Primary, u"SELECT qty FROM results_model WHERE id = 100"_s),
             u"5"_s);
    QCOMPARE(m_test.queryValue(Node::Primary,
                               u"SELECT name || '/' || coalesce(qty::text, 'null') FROM "
                               "results_model WHERE id = 1"_s),
             u"renamed/null"_s);
    QCOMPARE(m_test.queryValue(Node::Primary, u"SELECT count(*) FROM results_model WHERE id = 2"_s),
             u"0"_s);
    QCOMPARE(m_test.queryValue(Node::Primary, u"SELECT count(*) FROM results_model"_s), u"3"_s);

    // Reads come from the readers and QPSQLHA does not (yet) give read-your-writes: the select()
    // inside submitAll() may have shown the old rows. Once the readers have replayed the writes,
    // the model shows them.
    QVERIFY(m_test.waitForReplication());
    QVERIFY2(model.select(), qPrintable(model.lastError().text()));
    QVERIFY2(plain.select(), qPrintable(plain.lastError().text()));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.data(model.index(0, 0)).toInt(), 1);
    QCOMPARE(model.data(model.index(0, 1)).toString(), u"renamed"_s);
    QVERIFY(model.data(model.index(0, 2)).isNull());
    QCOMPARE(model.data(model.index(1, 0)).toInt(), 3);
    QCOMPARE(model.data(model.index(2, 0)).toInt(), 100);
    QCOMPARE(model.data(model.index(2, 1)).toString(), u"inserted 'quoted' \u00fc"_s);
    diff = modelDiff(model, plain);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_Results::relationalTableModel()
{
    QSqlRelationalTableModel model(nullptr, m_ha);
    QSqlRelationalTableModel plain(nullptr, m_direct);
    for (QSqlRelationalTableModel *m : {&model, &plain}) {
        m->setTable(u"results_items"_s);
        m->setEditStrategy(QSqlTableModel::OnManualSubmit);
        m->setRelation(2, QSqlRelation(u"results_categories"_s, u"id"_s, u"name"_s));
        m->setSort(0, Qt::AscendingOrder);
        QVERIFY2(m->select(), qPrintable(m->lastError().text()));
    }
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.data(model.index(0, 2)).toString(), u"tools"_s);
    QCOMPARE(model.data(model.index(1, 2)).toString(), u"garden"_s);
    QString diff = modelDiff(model, plain);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QSqlTableModel *categories = model.relationModel(2);
    QVERIFY(categories);
    QCOMPARE(categories->rowCount(), 3);
    diff = modelDiff(*categories, *plain.relationModel(2));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    const int row = model.rowCount();
    QVERIFY(model.insertRows(row, 1));
    QVERIFY(model.setData(model.index(row, 0), 10));
    QVERIFY(model.setData(model.index(row, 1), u"hose"_s));
    QVERIFY(model.setData(model.index(row, 2), 2)); // the key; the model shows the name
    QVERIFY(model.setData(model.index(3, 2), 3)); // drill moves to the kitchen
    QVERIFY2(model.submitAll(), qPrintable(model.lastError().text()));
    QCOMPARE(
        m_test.queryValue(Node::Primary,
                          u"SELECT title || '/' || category_id FROM results_items WHERE id = 10"_s),
        u"hose/2"_s);
    QCOMPARE(
        m_test.queryValue(Node::Primary, u"SELECT category_id FROM results_items WHERE id = 4"_s),
        u"3"_s);

    // As above: no read-your-writes yet, so let the readers catch up before reading back.
    QVERIFY(m_test.waitForReplication());
    QVERIFY2(model.select(), qPrintable(model.lastError().text()));
    QVERIFY2(plain.select(), qPrintable(plain.lastError().text()));
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.data(model.index(3, 2)).toString(), u"kitchen"_s);
    QCOMPARE(model.data(model.index(4, 0)).toInt(), 10);
    QCOMPARE(model.data(model.index(4, 2)).toString(), u"garden"_s);
    diff = modelDiff(model, plain);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_Results::valueByName_data()
{
    QTest::addColumn<bool>("forwardOnly");
    QTest::newRow("scrollable") << false;
    QTest::newRow("forward only") << true;
}

void tst_Results::valueByName()
{
    QFETCH(bool, forwardOnly);
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const QString sql = u"SELECT id, c_text, c_bytea, c_numeric AS \"Mixed Case\", "
                        "NULL::int AS nothing, c_timestamptz FROM results_types ORDER BY id"_s;
    for (QSqlQuery *q : {&ha, &plain}) {
        q->setForwardOnly(forwardOnly);
        QVERIFY2(q->exec(sql), qPrintable(q->lastError().text()));
    }
    const QStringList names = {u"id"_s, u"c_text"_s,  u"c_bytea"_s,      u"Mixed Case"_s,
                               u"ID"_s, u"nothing"_s, u"c_timestamptz"_s};
    int rows = 0;
    while (true) {
        const bool haNext = ha.next();
        QCOMPARE(haNext, plain.next());
        if (!haNext)
            break;
        ++rows;
        for (const QString &name : names) {
            const QString diff = valueDiff(ha.value(name), plain.value(name));
            QVERIFY2(diff.isEmpty(),
                     qPrintable(u"row %1, value(\"%2\"): %3"_s.arg(rows).arg(name, diff)));
            QCOMPARE(ha.isNull(name), plain.isNull(name));
            QCOMPARE(ha.record().indexOf(name), plain.record().indexOf(name));
        }
        QCOMPARE(ha.value(u"id"_s), ha.value(0));
        QCOMPARE(ha.value(u"id"_s).toInt(), rows);
        QVERIFY(ha.isNull(u"nothing"_s));
    }
    QCOMPARE(rows, 4);

    QVERIFY(ha.exec(sql));
    QVERIFY(ha.next());
    QTest::ignoreMessage(QtWarningMsg, "QSqlQuery::value: unknown field name 'no_such_column'");
    QVERIFY(!ha.value(u"no_such_column"_s).isValid());
}

void tst_Results::multipleResultSets_data()
{
    QTest::addColumn<bool>("forwardOnly");
    QTest::newRow("scrollable") << false;
    QTest::newRow("forward only") << true;
}

void tst_Results::multipleResultSets()
{
    // QPSQL (Qt 6.4) says it has MultipleResultSets: several statements in one exec() give one
    // result set each, reached with nextResult().
    QFETCH(bool, forwardOnly);
    QSqlQuery ha(m_ha);
    QSqlQuery plain(m_direct);
    const QString sql = u"SELECT 1 AS a, 'x' AS b; SELECT g FROM generate_series(1, 3) g; "
                        "UPDATE results_rows SET n = n WHERE false; SELECT 'last' AS c"_s;
    for (QSqlQuery *q : {&ha, &plain}) {
        q->setForwardOnly(forwardOnly);
        QVERIFY2(q->exec(sql), qPrintable(q->lastError().text()));
    }
    COMPARE_STATE(ha, plain, u"first result set"_s);
    COMPARE_WALK(ha, plain, u"first result set"_s);
    int sets = 1;
    for (;;) {
        const bool haMore = ha.nextResult();
        const bool plainMore = plain.nextResult();
        QVERIFY2(haMore == plainMore,
                 qPrintable(u"nextResult() #%1: QPSQLHA %2, QPSQL %3"_s.arg(sets)
                                .arg(int(haMore))
                                .arg(int(plainMore))));
        COMPARE_STATE(ha, plain, u"result set %1"_s.arg(sets));
        if (!plainMore)
            break;
        ++sets;
        if (ha.isSelect())
            COMPARE_WALK(ha, plain, u"result set %1"_s.arg(sets));
    }
    QCOMPARE(sets, 4);
}

QTEST_GUILESS_MAIN(tst_Results)

#include "tst_results.moc"
