// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhasessionstate_p.h"

#include "qpsqlhasessionsql_p.h"

#include <algorithm>

namespace QPsqlHa {

using namespace Qt::StringLiterals;

void SessionState::statementSucceeded(const Classification &classification, QStringView sql,
                                      const QList<QVariant> *values, bool inTransaction)
{
    if (!inTransaction) {
        apply(classification.flags, sql, values);
        return;
    }
    Pending pending;
    pending.sql = sql.toString();
    pending.flags = classification.flags;
    if (values) {
        pending.values = *values;
        pending.prepared = true;
    }
    m_pending.push_back(std::move(pending));
}

void SessionState::transactionEnded(bool committed)
{
    std::vector<Pending> pending;
    pending.swap(m_pending);
    if (!committed)
        return;
    for (const Pending &statement : pending)
        apply(statement.flags, statement.sql, statement.prepared ? &statement.values : nullptr);
}

bool SessionState::usesTemporaryObject(QStringView sql) const
{
    return !m_temporary.isEmpty() && mentionsAnyName(sql, m_temporary, m_standardStrings);
}

void SessionState::removeKey(const QString &key)
{
    if (key.isEmpty())
        return;
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                   [&key](const Entry &entry) { return entry.key == key; }),
                    m_entries.end());
}

void SessionState::removeKind(SessionStatement::Kind kind)
{
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                   [kind](const Entry &entry) { return entry.kind == kind; }),
                    m_entries.end());
}

void SessionState::append(const SessionStatement &statement, const QList<QVariant> *values,
                          bool primaryOnly)
{
    if (statement.kind == SessionStatement::Setting) {
        removeKey(statement.key);
    } else if (statement.kind == SessionStatement::Role && statement.key == "role"_L1) {
        // SET ROLE after SET ROLE (a role per request, as pools do): only the last one counts.
        // Not across SET SESSION AUTHORIZATION, which decides which roles may be set, and
        // never a SESSION AUTHORIZATION itself. A setting replayed between two removed roles
        // then runs as the login user (or the later role); one that needed the removed role's
        // privileges fails there and the reader serves no reads of this connection.
        auto firstRemovable = m_entries.begin();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (it->key == "session_authorization"_L1)
                firstRemovable = it + 1;
        }
        m_entries.erase(std::remove_if(firstRemovable, m_entries.end(),
                                       [](const Entry &entry) {
                                           return entry.kind == SessionStatement::Role
                                               && entry.key == "role"_L1;
                                       }),
                        m_entries.end());
    }
    Entry entry;
    entry.sql = statement.text.toString();
    if (values) {
        entry.values = *values;
        entry.prepared = true;
    }
    entry.key = statement.key;
    entry.kind = statement.kind;
    entry.primaryOnly = primaryOnly;
    entry.version = ++m_version;
    m_entries.push_back(std::move(entry));
}

void SessionState::apply(quint8 flags, QStringView sql, const QList<QVariant> *values)
{
    if (flags & (Classification::ChangesSessionState | Classification::Listens)) {
        const QList<SessionStatement> statements = sessionStatements(sql, m_standardStrings);
        // A prepared statement is one statement; its values belong to it.
        const QList<QVariant> *statementValues = statements.size() == 1 ? values : nullptr;
        for (const SessionStatement &statement : statements) {
            switch (statement.kind) {
            case SessionStatement::Setting:
            case SessionStatement::Role:
                append(statement, statementValues, false);
                break;
            case SessionStatement::ResetAll:
                // RESET ALL leaves the role, the session authorization and LISTENs alone.
                removeKind(SessionStatement::Setting);
                append(statement, nullptr, false);
                break;
            case SessionStatement::DiscardAll:
                // Connections that applied entries still need DISCARD ALL to undo them.
                m_entries.clear();
                m_temporary.clear();
                append(statement, nullptr, false);
                break;
            case SessionStatement::DiscardTemp:
                m_temporary.clear();
                break;
            case SessionStatement::NoState:
                break;
            case SessionStatement::Listen:
                append(statement, nullptr, true);
                break;
            case SessionStatement::Unlisten:
                // The connection that listened ran the UNLISTEN itself; a new one never listens.
                removeKey(statement.key);
                break;
            case SessionStatement::UnlistenAll:
                removeKind(SessionStatement::Listen);
                break;
            }
        }
    }
    if (flags & Classification::CreatesTempTable) {
        const QStringList created = temporaryObjectNames(sql, m_standardStrings);
        for (const QString &name : created) {
            if (!m_temporary.contains(name))
                m_temporary.append(name);
        }
    }
    if (!m_temporary.isEmpty()) {
        const QStringList dropped = droppedObjectNames(sql, m_standardStrings);
        for (const QString &name : dropped)
            m_temporary.removeAll(name);
    }
}

} // namespace QPsqlHa
