// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlharetrydecision_p.h"

namespace QPsqlHa {

NextStep nextStep(const RetryFacts &facts) noexcept
{
    const CallOutcome &outcome = facts.outcome;
    if (outcome.succeeded())
        return NextStep::Deliver;
    // Only a read outside a transaction may run again, and only before the caller saw a row:
    // a write may have been applied, a transaction lives on one connection, and rows already
    // delivered cannot be taken back.
    const bool movable = facts.read && !facts.pinned && !facts.rowsDelivered;
    if (outcome.leftInTransaction)
        return movable ? NextStep::RunOnPrimary : NextStep::FailAsIs;
    switch (outcome.failure) {
    case Failure::None:
        break;
    case Failure::NodeGone:
    case Failure::RecoveryConflict:
        if (movable && !facts.lastResort)
            return NextStep::RetryElsewhere;
        // A cancelled statement is the caller's to retry: the node is well.
        return outcome.failure == Failure::RecoveryConflict && !outcome.timedOut
            ? NextStep::FailAsIs
            : NextStep::FailNodeLost;
    case Failure::ReadOnlyNode:
        if (facts.onWriteNode)
            return facts.pinned ? NextStep::FailAsIs : NextStep::ConfirmRole;
        return movable ? NextStep::RunOnPrimary : NextStep::FailAsIs;
    case Failure::NeedsPrimary:
        return !facts.onWriteNode && movable ? NextStep::RunOnPrimary : NextStep::FailAsIs;
    case Failure::StatementError:
        return NextStep::FailAsIs;
    }
    return NextStep::FailAsIs;
}

const char *nextStepName(NextStep step) noexcept
{
    switch (step) {
    case NextStep::Deliver:
        return "deliver";
    case NextStep::RetryElsewhere:
        return "retry elsewhere";
    case NextStep::RunOnPrimary:
        return "run on the primary";
    case NextStep::ConfirmRole:
        return "confirm the role";
    case NextStep::FailNodeLost:
        return "fail: node lost";
    case NextStep::FailAsIs:
        return "fail as is";
    }
    return "?";
}

} // namespace QPsqlHa
