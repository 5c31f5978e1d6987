// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanodecall_p.h"

#include "qpsqlhasession_p.h"

namespace QPsqlHa {

CallOutcome NodeCall::finishSlow(bool ok, QSqlError *error)
{
    if (!m_session || m_node < 0) {
        CallOutcome outcome;
        if (!ok)
            outcome.failure = classifyFailure(*error, m_driver);
        return outcome;
    }
    return m_session->endCall(m_node, ok, error, m_driver);
}

} // namespace QPsqlHa
