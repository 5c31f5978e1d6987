// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhanodecall_p.h"

#include "qpsqlhasession_p.h"

namespace QPsqlHa {

NodeCall::NodeCall(Session *session, int node, const QSqlDriver *driver) noexcept
    : m_session(session)
    , m_driver(driver)
    , m_node(node)
{
    m_armed = session && node >= 0 && session->beginWait(node, driver);
}

NodeCall::~NodeCall()
{
    if (!m_finished)
        finish();
}

CallOutcome NodeCall::finish(bool ok, QSqlError *error)
{
    m_finished = true;
    if (!m_session || m_node < 0) {
        CallOutcome outcome;
        if (!ok)
            outcome.failure = classifyFailure(*error, m_driver);
        return outcome;
    }
    if (m_armed) {
        m_armed = false;
        m_session->endWait(m_node);
    }
    return m_session->endCall(m_node, ok, error, m_driver);
}

bool NodeCall::finish()
{
    m_finished = true;
    if (!m_session || m_node < 0)
        return false;
    if (m_armed) {
        m_armed = false;
        m_session->endWait(m_node);
    }
    return m_session->endCall(m_node, true, nullptr, m_driver).timedOut;
}

} // namespace QPsqlHa
