// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASQLLEXER_P_H
#define QPSQLHASQLLEXER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qstringview.h>

// The tokenizer the statement classifier and the session-statement helpers share, so that both
// read literals, quoted identifiers and comments the same way. It is a hand-written scanner over
// the UTF-16 text: one left-to-right pass (lookahead is a copy of the lexer), no allocation, no
// locale. It follows PostgreSQL's scan.l closely enough that literals, quoted identifiers and
// comments never hide or fake a keyword.

namespace QPsqlHa::Sql {

// PostgreSQL folds unquoted identifiers with ASCII rules only (downcase_identifier() for
// multi-byte encodings), so keywords and function names are compared the same way.
constexpr char16_t foldCase(char16_t c) noexcept
{
    return unsigned(c) - u'A' < 26u ? char16_t(c | 0x20) : c;
}

// keyword is lower-case ASCII.
template<size_t N>
bool equalsFolded(const char16_t *text, qsizetype size, const char (&keyword)[N]) noexcept
{
    if (size != qsizetype(N - 1))
        return false;
    for (qsizetype i = 0; i < size; ++i) {
        if (foldCase(text[i]) != char16_t(keyword[i]))
            return false;
    }
    return true;
}

inline bool equalsFolded(QStringView text, QStringView lowerCase) noexcept
{
    if (text.size() != lowerCase.size())
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (foldCase(text.utf16()[i]) != lowerCase.utf16()[i])
            return false;
    }
    return true;
}

enum class TokenType : quint8 {
    End, // end of input, or of input that could not be tokenized (see Lexer::failed)
    Word, // unquoted identifier or keyword
    QuotedIdentifier, // "..." or U&"..."
    String, // '...', E'...', U&'...', $tag$...$tag$
    Number,
    Parameter, // $1
    Symbol, // any other single character: ( ) ; , . + ...
};

struct Token
{
    const char16_t *begin = nullptr;
    qsizetype size = 0;
    TokenType type = TokenType::End;

    bool isSymbol(char16_t c) const noexcept { return type == TokenType::Symbol && *begin == c; }
    bool isStatementEnd() const noexcept { return type == TokenType::End || isSymbol(u';'); }
    bool isName() const noexcept
    {
        return type == TokenType::Word || type == TokenType::QuotedIdentifier;
    }
};

template<size_t N> bool isKeyword(const Token &token, const char (&keyword)[N]) noexcept
{
    return token.type == TokenType::Word && equalsFolded(token.begin, token.size, keyword);
}

class Lexer
{
public:
    // standardConformingStrings: the session's standard_conforming_strings; off, a backslash
    // escapes the next character in '...' as well (see skipQuoted()).
    explicit Lexer(QStringView sql, bool standardConformingStrings = true) noexcept
        : m_pos(sql.utf16())
        , m_end(m_pos + sql.size())
        , m_backslashEscapesInPlainStrings(!standardConformingStrings)
    { }

    // Skips whitespace and comments and returns the next token.
    Token next() noexcept;

    // An unterminated literal, quoted identifier or comment ended the input.
    bool failed() const noexcept { return m_failed; }
    bool sawPrimaryHint() const noexcept { return m_primaryHint; }
    // The hint only counts among the comments in front of the first keyword.
    void stopLookingForHint() noexcept { m_lookForHint = false; }

private:
    Token fail() noexcept
    {
        m_failed = true;
        m_pos = m_end;
        return {};
    }
    bool skipBlockComment() noexcept;
    bool skipPrimaryHint() noexcept;
    bool skipQuoted(bool backslashEscapes) noexcept;
    void skipNumber() noexcept;

    const char16_t *m_pos;
    const char16_t *m_end;
    bool m_backslashEscapesInPlainStrings;
    bool m_failed = false;
    bool m_lookForHint = true;
    bool m_primaryHint = false;
};

} // namespace QPsqlHa::Sql

#endif // QPSQLHASQLLEXER_P_H
