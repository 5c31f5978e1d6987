// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHATHREADHANDOFF_P_H
#define QPSQLHATHREADHANDOFF_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <QtCore/qtsan_impl.h>

namespace QPsqlHa {

// Qt hands data from one thread to another inside QtCore: the posted-event queue, the semaphore
// of a BlockingQueuedConnection. A Qt that is not built with ThreadSanitizer (Debian's) does that
// out of TSan's sight, so TSan reports the data handed over as a race. These two mark such a
// hand-over where our code does it: handOff() in the sending thread before the call is posted,
// takeOver() first thing in the receiving thread, on the same address. They compile to nothing
// unless built with -fsanitize=thread (QPSQLHA_SANITIZE=thread).
inline void handOff(const void *channel)
{
    QtTsan::futexRelease(const_cast<void *>(channel));
}

inline void takeOver(const void *channel)
{
    QtTsan::futexAcquire(const_cast<void *>(channel));
}

} // namespace QPsqlHa

#endif // QPSQLHATHREADHANDOFF_P_H
