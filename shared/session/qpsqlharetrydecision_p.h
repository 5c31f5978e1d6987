// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHARETRYDECISION_P_H
#define QPSQLHARETRYDECISION_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhanodeconnection_p.h"

namespace QPsqlHa {

// How one call on a node ended, as NodeCall::finish() found it.
struct CallOutcome
{
    Failure failure = Failure::None; // None: the call succeeded
    bool timedOut = false; // the watchdog cut it off (failure is NodeGone then)
    // A reader's connection was left in a transaction block by a statement taken for a read:
    // the server read the text otherwise than the classifier (rolled back already).
    bool leftInTransaction = false;

    constexpr bool succeeded() const noexcept
    {
        return failure == Failure::None && !leftInTransaction;
    }
};

// Everything the next step of a statement depends on once a call on a node has ended.
struct RetryFacts
{
    CallOutcome outcome;
    bool onWriteNode = false; // the call ran on the node that takes this session's writes
    bool read = false; // the classifier called the statement a read
    bool pinned = false; // a transaction is open on this session
    bool rowsDelivered = false; // a row of the result already reached the caller
    // No node is left to try (the primary after every reader): a node failure ends it.
    bool lastResort = false;
};

enum class NextStep : quint8 {
    Deliver, // it succeeded: the caller gets the result
    // The node failed and nothing reached the caller: the read runs on another reader, then
    // on the primary (the caller sees only the delay).
    RetryElsewhere,
    // A reader refused what only the primary runs (25006, 55000), or the server found more in
    // the text than a read: the primary runs it.
    RunOnPrimary,
    // 25006 from the write node outside a transaction: a standby now, or read-only by the
    // session's own settings? Ask the node once; only a node in recovery loses the write role.
    ConfirmRole,
    // The node failed under a statement that cannot move (a write, a transaction's statement,
    // a read whose rows were being delivered): a ConnectionError naming the node.
    FailNodeLost,
    FailAsIs, // the caller's error, exactly as the server gave it
};

// The one place that decides whether a statement moves after a failure: used by the exec path
// (Session::execute) and the fetch path (a streamed result that broke) alike. Pure.
QPSQLHA_EXPORT NextStep nextStep(const RetryFacts &facts) noexcept;

QPSQLHA_EXPORT const char *nextStepName(NextStep step) noexcept;

} // namespace QPsqlHa

#endif // QPSQLHARETRYDECISION_P_H
