// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASESSIONSQL_P_H
#define QPSQLHASESSIONSQL_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qstringlist.h>

// What the session state (qpsqlhasessionstate_p.h) needs to know from a statement's text beyond
// its classification. They share the classifier's tokenizer (qpsqlhasqllexer_p.h) and statement
// scan, so literals, quoted identifiers and comments are read the same way. Unlike classify() they
// allocate: they run only for statements the classifier flagged as changing session state or
// creating a temporary object, and in sessions that have temporary objects.
// standardConformingStrings is the session's setting, read as by StatementClassifier::classify().

namespace QPsqlHa {

// One statement of a string that changes the connection's session state.
struct SessionStatement
{
    enum Kind : quint8 {
        Setting, // SET/RESET of one setting, SET SESSION CHARACTERISTICS, set_config(.., false)
        Role, // SET/RESET ROLE, SET/RESET SESSION AUTHORIZATION (RESET ALL keeps them)
        ResetAll, // RESET ALL
        DiscardAll, // DISCARD ALL: every setting, the role, temporary objects, LISTENs
        DiscardTemp, // DISCARD TEMP / TEMPORARY
        NoState, // DISCARD PLANS / SEQUENCES: leaves nothing that must be carried over
        Listen, // LISTEN channel
        Unlisten, // UNLISTEN channel
        UnlistenAll, // UNLISTEN *
    };

    QStringView text; // the statement without its ';'
    Kind kind = Setting;
    // What the statement sets, folded like PostgreSQL folds setting names ("search_path",
    // "timezone", "role", "session_authorization", "listen:channel"): a later statement with the
    // same key makes a Setting pointless (Role: see SessionState). Empty when unknown
    // (set_config with a computed name, SET SESSION CHARACTERISTICS, ...).
    QString key;
};

// The statements of sql that change session state, in order.
QPSQLHA_EXPORT QList<SessionStatement> sessionStatements(QStringView sql,
                                                         bool standardConformingStrings = true);

// The names of the temporary tables, views and sequences that sql creates (CREATE TEMP ...,
// SELECT ... INTO TEMP ...), as PostgreSQL stores them: unquoted names folded to lower case,
// quoted ones as written.
QPSQLHA_EXPORT QStringList temporaryObjectNames(QStringView sql,
                                                bool standardConformingStrings = true);

// The names a DROP statement in sql removes (unqualified or in pg_temp), stored like above.
QPSQLHA_EXPORT QStringList droppedObjectNames(QStringView sql,
                                              bool standardConformingStrings = true);

// Whether sql mentions one of names (as an identifier, quoted or not; never inside a literal or
// comment) or the pg_temp schema. names are stored like above.
QPSQLHA_EXPORT bool mentionsAnyName(QStringView sql, const QStringList &names,
                                    bool standardConformingStrings = true);

} // namespace QPsqlHa

#endif // QPSQLHASESSIONSQL_P_H
