#include <QtSql>
#include <QtTest>
#include <qpsqlhatestcluster.h>

class tst_App : public QObject
{
    Q_OBJECT
    std::unique_ptr<QPsqlHaTest::TestCluster> cluster;

private slots:
    void initTestCase()
    {
        cluster = std::make_unique<QPsqlHaTest::TestCluster>();
        QVERIFY2(cluster->isValid(), qPrintable(cluster->errorString()));
        QSqlDatabase db = cluster->addDatabase();
        QVERIFY2(db.open(), qPrintable(db.lastError().text()));
    }
    void writeThenRead()
    {
        QSqlQuery query;
        QVERIFY(query.exec("CREATE TABLE IF NOT EXISTS notes (body text)"));
        QVERIFY(query.exec("INSERT INTO notes VALUES ('hello')"));
        QVERIFY(query.exec("SELECT pg_is_in_recovery()") && query.next());
        QVERIFY(query.value(0).toBool()); // a read: the replica served it
    }
    void cleanupTestCase() { cluster.reset(); } // stops the cluster it started, if any
};
QTEST_GUILESS_MAIN(tst_App)
#include "tst_app.moc"
