// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_PATRONITESTCLUSTER_H
#define QPSQLHA_PATRONITESTCLUSTER_H

#include <QtCore/qbytearray.h>
#include <QtCore/qhash.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>
#include <QtSql/qsqldatabase.h>

namespace QPsqlHaTest {

// The live Patroni cluster started by tests/cluster/patronicluster.sh (the `patronicluster`
// CTest fixture): etcd and members m0, m1, m2, each a PostgreSQL server with Patroni's REST API.
//
// Where it is comes from the file named by QPSQLHA_PATRONI_ENV (the script's patroni.env); it
// is changed through the script named by QPSQLHA_PATRONI_SCRIPT. Where Patroni or etcd is not
// installed the fixture left a patroni.skip beside it: check skipReason() first and QSKIP with
// it, then isValid()/errorString().
class PatroniTestCluster
{
public:
    static PatroniTestCluster &instance();

    QString skipReason() const { return m_skipReason; }
    bool isValid() const { return m_valid; }
    QString errorString() const { return m_error; }

    QString host() const { return value("HOST"); }
    QString scope() const { return value("SCOPE"); }
    QString database() const { return value("DATABASE"); }
    QString user() const { return value("USER"); }
    QString password() const { return value("PASSWORD"); }
    // Member names as the script knows them now ("m0", "m1", ...).
    QStringList members() const;
    int port(const QString &member) const;
    // "http://127.0.0.1:PORT": the member's REST API.
    QString restUrl(const QString &member) const;
    // Every member's REST API, comma-separated, as QPSQLHA_PATRONI takes them.
    QString restUrlsOption() const { return value("URLS"); }

    // GET PATH from one REST URL (or the first member that answers when url is empty): the
    // body, with the HTTP status in *status (0 when nothing answered). Null on a transport
    // error, with *error set.
    QByteArray get(const QString &path, int *status = nullptr, QString *error = nullptr,
                   const QString &url = QString()) const;
    // The member GET /cluster calls leader, or empty.
    QString leader() const;

    // Script commands. Each waits until done (see the script) and re-reads patroni.env; they
    // return the script's answer (the new leader, the killed or added member) or a null string
    // on failure, after logging the script's output.
    QString switchover(const QString &candidate = QString());
    QString killLeader();
    bool startMember(const QString &member);
    QString addMember();
    bool removeMember(const QString &member);
    bool setTag(const QString &member, const QString &tag, const QString &value);

    // A plain QPSQL connection to one member, already opened (check isOpen()).
    QSqlDatabase openDirect(const QString &member, const QString &connectionName) const;

private:
    PatroniTestCluster();
    bool load();
    QString value(const char *key) const;
    QString runScript(const QStringList &arguments, bool *ok);

    bool m_valid = false;
    QString m_error;
    QString m_skipReason;
    QString m_envFile;
    QString m_stateDir;
    QString m_script;
    QHash<QString, QString> m_env; // patroni.env without the PGHA_PATRONI_ prefix
};

} // namespace QPsqlHaTest

#endif // QPSQLHA_PATRONITESTCLUSTER_H
