// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASTRIPEDCOUNTER_P_H
#define QPSQLHASTRIPEDCOUNTER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <QtCore/qatomic.h>

namespace QPsqlHa {

// The size of what a CPU core owns at a time when it writes memory. Fixed rather than taken
// from std::hardware_destructive_interference_size, which GCC warns is not ABI-stable.
constexpr int CacheLineSize = 64;

// A counter that every connection of the process adds to on every statement. With one atomic
// word, each addition takes its cache line away from the other cores, and with it whatever
// else lives there (a node's state, read on every statement): on a few busy cores that costs
// more than the rest of the routing. Here each writer adds to one of several stripes, each on
// its own cache line, and a reader (status, the least_busy policy) sums them. Connections are
// given stripes in turn (Cluster::attachSession()), so a stripe has one writer as long as there
// are no more connections than stripes, and a few otherwise; a sum taken while writers run is
// as exact as one atomic read would be.
template<typename T> class StripedCounter
{
    Q_DISABLE_COPY_MOVE(StripedCounter)
public:
    static constexpr int Stripes = 8; // a power of two

    StripedCounter() = default;

    void add(int stripe, T value) noexcept
    {
        m_stripes[stripe & (Stripes - 1)].value.fetchAndAddRelaxed(value);
    }
    T total() const noexcept
    {
        T sum = 0;
        for (const Stripe &stripe : m_stripes)
            sum += stripe.value.loadRelaxed();
        return sum;
    }

private:
    struct alignas(CacheLineSize) Stripe
    {
        QAtomicInteger<T> value {0};
    };
    Stripe m_stripes[Stripes];
};

} // namespace QPsqlHa

#endif // QPSQLHASTRIPEDCOUNTER_P_H
