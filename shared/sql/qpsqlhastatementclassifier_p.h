// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASTATEMENTCLASSIFIER_P_H
#define QPSQLHASTATEMENTCLASSIFIER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhasqllexer_p.h"
#include "qpsqlhastatementclassifier.h"

// The classifier's statement scan, shared with the session-statement helpers
// (qpsqlhasessionsql.cpp): they walk a string statement by statement exactly as classify() does.

namespace QPsqlHa::Sql {

// What one statement does; classify() combines the statements of a string.
struct Statement
{
    Classification::Route route = Classification::Primary;
    Classification::Reason reason = Classification::NotAQuery;
    quint8 flags = Classification::NoFlags;
    quint8 transactionFlags = Classification::NoFlags;

    // The first reason found while scanning a read is the one reported.
    void demote(Classification::Reason why) noexcept
    {
        if (route == Classification::Reader) {
            route = Classification::Primary;
            reason = why;
        }
    }
};

// Scans one statement starting at token (its first token) and leaves token at the ';' that
// ends it or at the end of the input.
Statement scanStatement(Lexer &lexer, Token &token,
                        const QStringList &extraWriteFunctions) noexcept;

} // namespace QPsqlHa::Sql

#endif // QPSQLHASTATEMENTCLASSIFIER_P_H
