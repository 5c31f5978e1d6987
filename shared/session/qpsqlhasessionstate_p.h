// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASESSIONSTATE_P_H
#define QPSQLHASESSIONSTATE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhasessionsql_p.h"

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qlist.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariant.h>

#include <vector>

namespace QPsqlHa {

// What a logical connection has changed in its server session and every connection it uses must
// share: the settings, role and LISTENs to replay on a connection that has not seen them (a
// reader's, or any connection re-created after a failure), and the temporary objects that only
// the primary's connection has.
//
// Settings are kept as the statements that made them, in order, each with the version it was
// recorded at; a connection that applied everything up to version v replays the entries above v.
// A statement that supersedes earlier ones (SET x after SET x, RESET ALL) removes them, so the
// list stays as long as the set of distinct settings, and an up-to-date connection pays one
// integer comparison per statement.
class QPSQLHA_EXPORT SessionState
{
public:
    struct Entry
    {
        QString sql;
        QList<QVariant> values; // bound values: the statement was prepared and is replayed so
        QString key; // SessionStatement::key
        quint32 version = 0;
        SessionStatement::Kind kind = SessionStatement::Setting;
        bool prepared = false;
        bool primaryOnly = false; // LISTEN: notifications are taken from the primary only
    };

    quint32 version() const noexcept { return m_version; }
    const std::vector<Entry> &entries() const noexcept { return m_entries; }

    // Whether a statement that succeeded on the primary may have changed anything here. Called
    // for every statement on the primary, so it looks at the flags and one size only.
    bool mayChange(const Classification &classification) const noexcept
    {
        return (classification.flags
                & (Classification::ChangesSessionState | Classification::CreatesTempTable
                   | Classification::Listens))
            || !m_temporary.isEmpty();
    }

    // A statement succeeded on the primary (values: its bound values if it was prepared).
    // Inside a transaction block nothing counts before the COMMIT: the change is kept aside
    // until transactionEnded().
    void statementSucceeded(const Classification &classification, QStringView sql,
                            const QList<QVariant> *values, bool inTransaction);
    bool hasPending() const noexcept { return !m_pending.empty(); }
    void transactionEnded(bool committed);

    // The primary's connection was replaced: its temporary objects went with the old one.
    void primaryConnectionReplaced() { m_temporary.clear(); }

    bool hasTemporaryObjects() const noexcept { return !m_temporary.isEmpty(); }
    // What the server lists in the session's temporary schema: replaces what was read from the
    // statements' text.
    void setTemporaryObjects(const QStringList &names) { m_temporary = names; }
    const QStringList &temporaryObjects() const noexcept { return m_temporary; }
    // Whether a read must stay on the primary because it may use a temporary object.
    bool usesTemporaryObject(QStringView sql) const;
    // The session's standard_conforming_strings: how the statements' text is read here too.
    void setStandardConformingStrings(bool on) noexcept { m_standardStrings = on; }

private:
    struct Pending
    {
        QString sql;
        QList<QVariant> values;
        quint8 flags = 0;
        bool prepared = false;
    };

    void apply(quint8 flags, QStringView sql, const QList<QVariant> *values);
    void append(const SessionStatement &statement, const QList<QVariant> *values, bool primaryOnly);
    void removeKey(const QString &key);
    void removeKind(SessionStatement::Kind kind);

    std::vector<Entry> m_entries;
    std::vector<Pending> m_pending;
    QStringList m_temporary;
    quint32 m_version = 0;
    bool m_standardStrings = true;
};

} // namespace QPsqlHa

#endif // QPSQLHASESSIONSTATE_P_H
