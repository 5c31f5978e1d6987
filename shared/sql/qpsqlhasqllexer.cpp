// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhasqllexer_p.h"

#include <algorithm>

namespace QPsqlHa::Sql {

namespace {

// Character classes of scan.l: bytes >= 0x80 are identifier characters there, so every
// non-ASCII UTF-16 unit is one here.
constexpr bool isSpace(char16_t c) noexcept
{
    return c == u' ' || (c >= u'\t' && c <= u'\r');
}

constexpr bool isDigit(char16_t c) noexcept
{
    return unsigned(c) - u'0' < 10u;
}

constexpr bool isIdentifierStart(char16_t c) noexcept
{
    return unsigned(c | 0x20) - u'a' < 26u || c == u'_' || c >= 0x80;
}

constexpr bool isIdentifierPart(char16_t c) noexcept
{
    return isIdentifierStart(c) || isDigit(c) || c == u'$';
}

} // namespace

Token Lexer::next() noexcept
{
    while (m_pos < m_end) {
        const char16_t c = *m_pos;
        if (isSpace(c)) {
            ++m_pos;
        } else if (c == u'-' && m_pos + 1 < m_end && m_pos[1] == u'-') {
            m_pos += 2;
            while (m_pos < m_end && *m_pos != u'\n' && *m_pos != u'\r')
                ++m_pos;
        } else if (c == u'/' && m_pos + 1 < m_end && m_pos[1] == u'*') {
            if (!skipBlockComment())
                return fail();
        } else {
            break;
        }
    }
    if (m_pos == m_end)
        return {};

    Token token;
    token.begin = m_pos;
    const char16_t c = *m_pos;
    if (c == u'\'' || c == u'"') {
        // Quoted identifiers never know backslash escapes; '...' does when
        // standard_conforming_strings is off (scan.l starts <xe> instead of <xq> for it).
        const bool identifier = c == u'"';
        token.type = identifier ? TokenType::QuotedIdentifier : TokenType::String;
        if (!skipQuoted(!identifier && m_backslashEscapesInPlainStrings))
            return fail();
    } else if (isIdentifierStart(c)) {
        const char16_t folded = foldCase(c);
        const bool hasNext = m_pos + 1 < m_end;
        if (folded == u'e' && hasNext && m_pos[1] == u'\'') {
            token.type = TokenType::String;
            ++m_pos;
            if (!skipQuoted(true))
                return fail();
        } else if ((folded == u'b' || folded == u'x') && hasNext && m_pos[1] == u'\'') {
            // B'...' and X'...' (scan.l's <xb> and <xh>) know no backslash escapes, whatever
            // standard_conforming_strings says. A doubled quote ends them there and starts a
            // second literal, a syntax error, so reading it as one literal changes nothing.
            token.type = TokenType::String;
            ++m_pos;
            if (!skipQuoted(false))
                return fail();
        } else if (folded == u'u' && hasNext && m_pos[1] == u'&' && m_pos + 2 < m_end
                   && (m_pos[2] == u'\'' || m_pos[2] == u'"')) {
            // U&'...' and U&"..." end like their plain forms: the backslash in them starts a
            // Unicode escape, never an escaped quote.
            m_pos += 2;
            token.type = *m_pos == u'"' ? TokenType::QuotedIdentifier : TokenType::String;
            if (!skipQuoted(false))
                return fail();
        } else {
            token.type = TokenType::Word;
            ++m_pos;
            while (m_pos < m_end && isIdentifierPart(*m_pos))
                ++m_pos;
        }
    } else if (isDigit(c) || (c == u'.' && m_pos + 1 < m_end && isDigit(m_pos[1]))) {
        token.type = TokenType::Number;
        skipNumber();
    } else if (c == u'$' && m_pos + 1 < m_end && isDigit(m_pos[1])) {
        token.type = TokenType::Parameter;
        ++m_pos;
        while (m_pos < m_end && isDigit(*m_pos))
            ++m_pos;
    } else if (c == u'$') {
        // $tag$ opens a dollar-quoted string that ends at the next identical $tag$; a '$' that
        // does not form a tag is an ordinary (invalid) character.
        const char16_t *tagEnd = m_pos + 1;
        if (tagEnd < m_end && isIdentifierStart(*tagEnd)) {
            while (++tagEnd < m_end && (isIdentifierStart(*tagEnd) || isDigit(*tagEnd))) { }
        }
        if (tagEnd < m_end && *tagEnd == u'$') {
            const qsizetype tagSize = tagEnd + 1 - m_pos;
            const char16_t *p = tagEnd + 1;
            while (m_end - p >= tagSize && !(*p == u'$' && std::equal(m_pos, tagEnd + 1, p)))
                ++p;
            if (m_end - p < tagSize)
                return fail();
            token.type = TokenType::String;
            m_pos = p + tagSize;
        } else {
            token.type = TokenType::Symbol;
            ++m_pos;
        }
    } else {
        token.type = TokenType::Symbol;
        ++m_pos;
    }
    token.size = m_pos - token.begin;
    return token;
}

// m_pos is at "/*". PostgreSQL block comments nest.
bool Lexer::skipBlockComment() noexcept
{
    if (m_lookForHint && skipPrimaryHint())
        return true;
    int depth = 0;
    for (const char16_t *p = m_pos; p + 1 < m_end;) {
        if (p[0] == u'/' && p[1] == u'*') {
            ++depth;
            p += 2;
        } else if (p[0] == u'*' && p[1] == u'/') {
            p += 2;
            if (--depth == 0) {
                m_pos = p;
                return true;
            }
        } else {
            ++p;
        }
    }
    return false;
}

// m_pos is at "/*"; matches the whole comment "/* qpsqlha:primary */".
bool Lexer::skipPrimaryHint() noexcept
{
    const char16_t *p = m_pos + 2;
    while (p < m_end && isSpace(*p))
        ++p;
    static constexpr char hint[] = "qpsqlha:primary";
    constexpr qsizetype hintSize = sizeof(hint) - 1;
    if (m_end - p < hintSize || !equalsFolded(p, hintSize, hint))
        return false;
    p += hintSize;
    while (p < m_end && isSpace(*p))
        ++p;
    if (m_end - p < 2 || p[0] != u'*' || p[1] != u'/')
        return false;
    m_pos = p + 2;
    m_primaryHint = true;
    return true;
}

// m_pos is at the opening quote; a doubled quote stands for itself. With backslashEscapes (E'...'
// always, '...' with standard_conforming_strings off: scan.l's <xe> state) a backslash takes the
// next character with it, whatever that is: every <xe> rule that starts with a backslash (\',
// \n, octal, \x hex, \u and \U Unicode escapes) consumes at least that character, so only a
// quote that no backslash precedes can end the literal. Neither escape_string_warning (a
// WARNING, no more) nor backslash_quote changes where a literal ends: backslash_quote = off (or
// safe_encoding with a client-only encoding) makes scan.l raise an error on \' after it has
// matched it as an escape, so such a statement fails on every server before it runs, wherever
// it is sent.
bool Lexer::skipQuoted(bool backslashEscapes) noexcept
{
    const char16_t quote = *m_pos;
    for (const char16_t *p = m_pos + 1; p < m_end; ++p) {
        if (backslashEscapes && *p == u'\\') {
            if (++p == m_end)
                break;
        } else if (*p == quote) {
            if (p + 1 < m_end && p[1] == quote) {
                ++p;
            } else {
                m_pos = p + 1;
                return true;
            }
        }
    }
    return false;
}

// Deliberately narrow, like scan.l before PostgreSQL 15 rejected "trailing junk": "1for" is
// the number 1 followed by the keyword FOR, and "1e'x'" is 1 followed by an E'' string.
void Lexer::skipNumber() noexcept
{
    const auto skipDigits = [this] {
        while (m_pos < m_end && (isDigit(*m_pos) || *m_pos == u'_'))
            ++m_pos;
    };
    skipDigits();
    // "1..10" is an integer followed by "..".
    if (m_pos < m_end && *m_pos == u'.' && !(m_pos + 1 < m_end && m_pos[1] == u'.')) {
        ++m_pos;
        skipDigits();
    }
    if (m_pos < m_end && foldCase(*m_pos) == u'e') {
        const char16_t *p = m_pos + 1;
        if (p < m_end && (*p == u'+' || *p == u'-'))
            ++p;
        if (p < m_end && isDigit(*p)) {
            m_pos = p;
            skipDigits();
        }
    }
}

} // namespace QPsqlHa::Sql
