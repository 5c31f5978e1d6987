// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// libFuzzer harness: bytes as a Patroni REST API (or anything answering at its URL) could send
// them for GET /cluster, through the parser the health checker uses, and the promises it makes
// about what it returns.

#include <qpsqlhapatronitopology_p.h>

#include <QtCore/qbytearray.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    QPsqlHa::PatroniTopology topology;
    topology.scope = QStringLiteral("before");
    QString error;
    if (!QPsqlHa::parsePatroniCluster(json, &topology, &error)) {
        // Refused: a reason, and what the caller knew untouched.
        if (error.isEmpty() || topology.scope != QLatin1String("before")
            || !topology.members.isEmpty())
            __builtin_trap();
        return 0;
    }
    if (!error.isEmpty())
        __builtin_trap();
    int leaders = 0;
    for (qsizetype i = 0; i < topology.members.size(); ++i) {
        const QPsqlHa::PatroniMember &member = topology.members.at(i);
        // Every member returned can be connected to; no two are one server or one name.
        if (member.port < 1 || member.port > 65535 || member.host.isEmpty()
            || member.name.isEmpty())
            __builtin_trap();
        if (topology.memberAt(member.host, member.port) != &member)
            __builtin_trap();
        for (qsizetype j = 0; j < i; ++j) {
            if (topology.members.at(j).name == member.name)
                __builtin_trap();
        }
        const bool leads = member.role == QPsqlHa::PatroniRole::Leader
            || member.role == QPsqlHa::PatroniRole::StandbyLeader;
        if (leads) {
            ++leaders;
            if (topology.leaderIndex != i || member.isReadable())
                __builtin_trap();
        }
        if (member.lagBytes < -1 || member.timeline < -1)
            __builtin_trap();
        (void)member.address();
    }
    if (leaders > 1 || (leaders == 0 && topology.leaderIndex != -1))
        __builtin_trap();
    return 0;
}
