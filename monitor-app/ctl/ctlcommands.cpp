// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlcommands.h"

#include <qpsqlhamessages_p.h>

#include <qpsqlhacontrolclient.h>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

struct ReachedProcess
{
    QPsqlHa::ControlEndpoint endpoint;
    // Kept connected: the commands that change something send it on the connection that listed.
    std::unique_ptr<QPsqlHa::ControlClient> client;
    QPsqlHa::ProcessStatus status;
};

QString pidList(const QList<QPsqlHa::ControlEndpoint> &endpoints)
{
    QStringList pids;
    for (const QPsqlHa::ControlEndpoint &endpoint : endpoints)
        pids.append(QString::number(endpoint.pid));
    return pids.join(u", "_s);
}

enum class Reach {
    Some, // at least one process answered
    NoProcess, // no socket at all (stale ones were removed silently)
    NoSuchPid, // --pid names none of them; reported
    NoAnswer, // there are processes, none answered; each reported
};

// Finds the processes (only --pid if given) and lists each. A process that does not answer
// within the timeout is reported and left out, so one hung application cannot stop the
// operator from acting on the others.
Reach reachProcesses(const Options &options, std::vector<ReachedProcess> *reached)
{
    QList<QPsqlHa::ControlEndpoint> endpoints = QPsqlHa::discoverControlEndpoints();
    if (endpoints.isEmpty())
        return Reach::NoProcess;
    if (options.pid) {
        const QList<QPsqlHa::ControlEndpoint> all = endpoints;
        endpoints.removeIf(
            [&](const QPsqlHa::ControlEndpoint &endpoint) { return endpoint.pid != *options.pid; });
        if (endpoints.isEmpty()) {
            printError(QPsqlHa::Messages::tr(
                           "no process with pid %1 serves the control channel (found %2 %3)")
                           .arg(QString::number(*options.pid),
                                all.size() == 1 ? u"pid"_s : u"pids"_s, pidList(all)));
            return Reach::NoSuchPid;
        }
    }
    std::sort(endpoints.begin(), endpoints.end(),
              [](const auto &left, const auto &right) { return left.pid < right.pid; });

    for (const QPsqlHa::ControlEndpoint &endpoint : endpoints) {
        ReachedProcess process;
        process.endpoint = endpoint;
        process.client = std::make_unique<QPsqlHa::ControlClient>();
        if (!process.client->connectToProcess(endpoint.socketPath, options.timeoutMs)
            || !process.client->list(&process.status, options.timeoutMs)) {
            printError(QPsqlHa::Messages::tr("pid %1: skipped: %2")
                           .arg(QString::number(endpoint.pid), process.client->errorString()));
            continue;
        }
        reached->push_back(std::move(process));
    }
    return reached->empty() ? Reach::NoAnswer : Reach::Some;
}

const QPsqlHa::ClusterStatus *findCluster(const QPsqlHa::ProcessStatus &process,
                                          const QString &name)
{
    for (const QPsqlHa::ClusterStatus &cluster : process.clusters) {
        if (cluster.name == name)
            return &cluster;
    }
    return nullptr;
}

QString stateAfterLine(bool online, bool changed, QPsqlHa::NodeState before,
                       const QPsqlHa::NodeStatus &after)
{
    const QString now = QPsqlHa::nodeStateText(after.state);
    if (changed)
        return QPsqlHa::nodeStateText(before) + u" -> "_s + now;
    const QPsqlHa::NodeState wanted
        = online ? QPsqlHa::NodeState::Online : QPsqlHa::NodeState::OfflineByHand;
    if (after.state == wanted)
        return u"already "_s + now;
    // `online` only undoes `offline`; a failed node comes back through the health checker.
    return QPsqlHa::Messages::tr(
               "unchanged, %1 (only a node taken offline by hand can be put online; the health "
               "checker brings it back when it answers)")
        .arg(now);
}

} // namespace

QString noProcessHint()
{
    return QPsqlHa::Messages::tr(
               "no QPSQLHA process found in %1. Applications serve their node state only with "
               "the control channel on: start them with QPSQLHA_CONTROL=1 in the environment (or "
               "the connect option QPSQLHA_CONTROL=1), as the same user as qpsqlha-ctl.")
        .arg(QPsqlHa::controlSocketDirectory());
}

int runList(const Options &options)
{
    std::vector<ReachedProcess> reached;
    const Reach reach = reachProcesses(options, &reached);
    if (reach == Reach::NoProcess)
        printError(noProcessHint());

    QList<QPsqlHa::ProcessStatus> processes;
    for (const ReachedProcess &process : reached)
        processes.append(process.status);
    if (options.json)
        printLine(processesJson(processes));
    else if (!processes.isEmpty()) {
        printLine(nodeTable(processes).join(u'\n'));
        // Where the members of Patroni-followed clusters come from (QPSQLHA_PATRONI).
        for (const QString &line : topologySourceLines(processes))
            printLine(line);
    }

    // Nothing running is a valid answer; asking for a pid that is not there, or every process
    // failing to answer, is not.
    return reach == Reach::NoSuchPid || reach == Reach::NoAnswer ? ExitFailure : ExitSuccess;
}

int runMetrics(const Options &options)
{
    std::vector<ReachedProcess> reached;
    const Reach reach = reachProcesses(options, &reached);
    QList<QPsqlHa::ProcessStatus> processes;
    for (const ReachedProcess &process : reached)
        processes.append(process.status);
    // Also with no process: an empty exposition tells a scraper that there is nothing, rather
    // than leaving the last file's figures in place.
    QPsqlHaCtl::printLine(metricsExposition(processes, options.metricsFormat).chopped(1));
    return reach == Reach::NoSuchPid || reach == Reach::NoAnswer ? ExitFailure : ExitSuccess;
}

namespace {

// The processes that have options.cluster. When none has, says which clusters exist, so that
// a typo is obvious, and returns an empty list.
std::vector<ReachedProcess *> processesWithCluster(const Options &options,
                                                   std::vector<ReachedProcess> &reached)
{
    QStringList knownClusters;
    std::vector<ReachedProcess *> withCluster;
    for (ReachedProcess &process : reached) {
        for (const QPsqlHa::ClusterStatus &cluster : process.status.clusters) {
            const QString known = u"%1 (pid %2)"_s.arg(cluster.name).arg(process.status.pid);
            if (!knownClusters.contains(known))
                knownClusters.append(known);
        }
        if (findCluster(process.status, options.cluster))
            withCluster.push_back(&process);
    }
    if (withCluster.empty()) {
        printError(QPsqlHa::Messages::tr("no process has a cluster named '%1'; known clusters: %2")
                       .arg(options.cluster,
                            knownClusters.isEmpty() ? u"none"_s : knownClusters.join(u", "_s)));
    }
    return withCluster;
}

// Reaches the processes that have options.cluster, for a command that changes something
// there. Empty, with the reason printed, when there is nothing to change anything in.
std::vector<ReachedProcess *> reachCluster(const Options &options,
                                           std::vector<ReachedProcess> *reached)
{
    switch (reachProcesses(options, reached)) {
    case Reach::Some:
        return processesWithCluster(options, *reached);
    case Reach::NoProcess:
        printError(noProcessHint());
        break;
    case Reach::NoSuchPid:
        break;
    case Reach::NoAnswer:
        printError(QPsqlHa::Messages::tr("no process answered; nothing changed"));
        break;
    }
    return {};
}

// A node of options.cluster in one process: what a command that changes something acts on.
struct Target
{
    ReachedProcess *process;
    QPsqlHa::NodeStatus node;
};

// Reaches the node options.node in each process that has options.cluster. Empty, with the
// reason printed, when there is none; the cluster's nodes are named then, so that a typo is
// obvious.
std::vector<Target> reachNode(const Options &options, std::vector<ReachedProcess> *reached)
{
    const std::vector<ReachedProcess *> withCluster = reachCluster(options, reached);
    std::vector<Target> targets;
    if (withCluster.empty())
        return targets;
    QStringList knownNodes;
    for (ReachedProcess *process : withCluster) {
        for (const QPsqlHa::NodeStatus &node :
             findCluster(process->status, options.cluster)->nodes) {
            if (!knownNodes.contains(node.address))
                knownNodes.append(node.address);
            if (isSameNode(options.node, node))
                targets.push_back({process, node});
        }
    }
    if (targets.empty()) {
        printError(QPsqlHa::Messages::tr("cluster '%1' has no node %2; its nodes: %3")
                       .arg(options.cluster, options.node.text, knownNodes.join(u", "_s)));
    }
    return targets;
}

// Reaches each process that has options.cluster, to add the node options.node there. The
// processes do not list it yet (or one does, and says so when asked to add it), so it is named
// as given. Empty, with the reason printed, when no process has the cluster.
std::vector<Target> reachNewNode(const Options &options, std::vector<ReachedProcess> *reached)
{
    QPsqlHa::NodeStatus node;
    node.address = options.node.text;
    std::vector<Target> targets;
    for (ReachedProcess *process : reachCluster(options, reached))
        targets.push_back({process, node});
    return targets;
}

QString nodePrefix(const ReachedProcess &process, const QString &cluster, const QString &node)
{
    return QPsqlHa::Messages::tr("%1: cluster %2 node %3: ")
        .arg(processLabel(process.status.pid, process.status.application), cluster, node);
}

// What one process answered to a change, printed after the prefix that names process, cluster
// and node: on standard output if it made the change (or found nothing to change), on standard
// error if it refused or did not answer.
struct Answer
{
    bool accepted;
    QString text;
};

// Sends a change to each target's process in turn and prints each answer. Every process
// decides for itself (a node may be there already in one and not in another), so a refusal
// does not stop the others, but any makes the exit status 1.
template<typename Change>
int changeEach(const std::vector<Target> &targets, const QString &cluster, Change change)
{
    int status = ExitSuccess;
    for (const Target &target : targets) {
        const QString prefix = nodePrefix(*target.process, cluster, target.node.address);
        const Answer answer = change(*target.process->client, target.node);
        if (answer.accepted) {
            printLine(prefix + answer.text);
        } else {
            printError(prefix + answer.text);
            status = ExitFailure;
        }
    }
    return status;
}

// What add-reader reports once the process took the node: it gets no reads until a health
// probe has found it answering (and, with a lag limit, close enough to the primary).
QString addedLine(const QPsqlHa::ProcessStatus &after, const Options &options)
{
    const QPsqlHa::ClusterStatus *cluster = findCluster(after, options.cluster);
    if (cluster) {
        for (const QPsqlHa::NodeStatus &node : cluster->nodes) {
            if (!isSameNode(options.node, node))
                continue;
            if (node.state == QPsqlHa::NodeState::Online)
                return QPsqlHa::Messages::tr("added as a reader, online");
            return QPsqlHa::Messages::tr(
                       "added as a reader, %1 until a health probe finds it answering")
                .arg(QPsqlHa::nodeStateText(node.state));
        }
    }
    return QPsqlHa::Messages::tr("added as a reader");
}

} // namespace

int runSetState(const Options &options)
{
    const bool online = options.command == Command::Online;
    const auto setState = [&](QPsqlHa::ControlClient &client, const QPsqlHa::NodeStatus &node) {
        bool changed = false;
        QPsqlHa::NodeStatus after;
        // The node's own spelling from the listing: the server compares addresses as text.
        if (!client.setNodeOnline(options.cluster, node.address, online, &changed, &after,
                                  options.timeoutMs)) {
            return Answer {false, u"failed: "_s + client.errorString()};
        }
        return Answer {true, stateAfterLine(online, changed, node.state, after)};
    };

    std::vector<ReachedProcess> reached;
    const std::vector<Target> targets = reachNode(options, &reached);
    return targets.empty() ? ExitFailure : changeEach(targets, options.cluster, setState);
}

int runAddReader(const Options &options)
{
    const auto addReader = [&](QPsqlHa::ControlClient &client, const QPsqlHa::NodeStatus &node) {
        QPsqlHa::ProcessStatus after;
        if (!client.addReader(options.cluster, node.address, &after, options.timeoutMs))
            return Answer {false, client.errorString()};
        return Answer {true, addedLine(after, options)};
    };

    std::vector<ReachedProcess> reached;
    const std::vector<Target> targets = reachNewNode(options, &reached);
    return targets.empty() ? ExitFailure : changeEach(targets, options.cluster, addReader);
}

int runRemoveNode(const Options &options)
{
    const auto removeNode = [&](QPsqlHa::ControlClient &client, const QPsqlHa::NodeStatus &node) {
        // The process refuses to remove the node taking the writes, and says why.
        if (!client.removeNode(options.cluster, node.address, nullptr, options.timeoutMs))
            return Answer {false, client.errorString()};
        return Answer {true, QPsqlHa::Messages::tr("removed (statements running on it finish)")};
    };

    std::vector<ReachedProcess> reached;
    const std::vector<Target> targets = reachNode(options, &reached);
    return targets.empty() ? ExitFailure : changeEach(targets, options.cluster, removeNode);
}

} // namespace QPsqlHaCtl
