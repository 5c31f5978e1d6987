// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAPORT_P_H
#define QPSQLHAPORT_P_H

//
//  W A R N I N G
//  -------------
//
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <QtCore/qstringview.h>

namespace QPsqlHa {

// A TCP port as the options and the tools accept it: 1..65535 in ASCII digits, or -1. Inline so
// that the operators' tools, which link only the Control library, read ports the same way.
inline int parsePort(QStringView text)
{
    // Digits only: QString::toInt() would also take "+5433", " 5433" or "0x1538".
    if (text.isEmpty() || text.size() > 5)
        return -1;
    int port = 0;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return -1;
        port = port * 10 + (c.unicode() - u'0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

} // namespace QPsqlHa

#endif // QPSQLHAPORT_P_H
