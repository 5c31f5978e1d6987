// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMESSAGES_P_H
#define QPSQLHAMESSAGES_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <QtCore/qcoreapplication.h>

namespace QPsqlHa {

// The driver's and the tools' user-visible texts go through Qt's translation, context "QPSQLHA",
// as QPSQL's go through "QPSQLResult"/"QPSQLDriver": `Messages::tr("text %1").arg(x)`. lupdate
// reads the context from Q_DECLARE_TR_FUNCTIONS, so a .ts made from these sources lists them
// under QPSQLHA. A lookup costs a hash search: call it where an error is built, never on the
// path of a statement that succeeds. Header-only: the tools link the Control library alone.
class Messages
{
    Q_DECLARE_TR_FUNCTIONS(QPSQLHA)
};

} // namespace QPsqlHa

#endif // QPSQLHAMESSAGES_P_H
