#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks the translations of ttyscope against the sources.

Usage: check-po.py SOURCE_ROOT

1. po/ttyscope.pot is up to date: xgettext is run again over the files of
   po/POTFILES.in (with the arguments of meson's i18n 'glib' preset, as
   `meson compile ttyscope-pot` runs it) into a temporary directory, and
   the messages (context, msgid, plural) must be those of the pot.
   xgettext must not find a format string it cannot read (a msgid cut
   short by a macro such as G_GUINT64_FORMAT).
2. Every language of po/LINGUAS has a .po file, and that file, merged
   with the fresh pot, has no untranslated and no fuzzy message, and
   passes `msgfmt --check` (format strings, headers, accelerators).

Fails with a list of what is missing; tools/update-po fixes part 1 and
shows what part 2 needs.
"""
import os
import subprocess
import sys
import tempfile

# meson's i18n module, preset 'glib' (mesonbuild/modules/i18n.py)
GLIB_PRESET = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format',
    '--flag=NC_:2:pass-c-format', '--flag=g_dngettext:2:pass-c-format',
    '--flag=g_strdup_printf:1:c-format', '--flag=g_string_printf:2:c-format',
    '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format',
    '--flag=g_printf:1:c-format', '--flag=g_fprintf:2:c-format',
    '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]


def unquote(s):
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    out, i, s = [], 0, s[1:-1]
    esc = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\',
           'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            out.append(esc.get(s[i + 1], '\\' + s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def parse(path):
    """The messages of a PO file: a list of dicts with ctxt, id, plural,
    strs ({index: text}) and fuzzy; obsolete (#~) entries are left out."""
    entries, cur, field = [], None, None

    def flush():
        if cur is not None and 'id' in cur:
            entries.append(cur)

    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#~'):
                continue
            # a comment or a msgctxt/msgid after a msgstr starts an entry
            starts = line.startswith('#') or \
                line.split(' ', 1)[0] in ('msgctxt', 'msgid')
            if starts and cur is not None and cur['strs']:
                flush()
                cur = None
            if cur is None:
                cur = {'strs': {}, 'fuzzy': False}
            if line.startswith('#'):
                if line.startswith('#,') and 'fuzzy' in \
                        line[2:].replace(',', ' ').split():
                    cur['fuzzy'] = True
                continue
            if line.startswith('"'):
                if field[0] == 'str':
                    cur['strs'][field[1]] += unquote(line)
                else:
                    cur[field[0]] += unquote(line)
                continue
            kw, _, rest = line.partition(' ')
            if kw in ('msgctxt', 'msgid'):
                cur[kw[3:] if kw == 'msgctxt' else 'id'] = unquote(rest)
                field = ('ctxt',) if kw == 'msgctxt' else ('id',)
            elif kw == 'msgid_plural':
                cur['plural'], field = unquote(rest), ('plural',)
            elif kw == 'msgstr':
                cur['strs'][0], field = unquote(rest), ('str', 0)
            elif kw.startswith('msgstr['):
                n = int(kw[7:-1])
                cur['strs'][n], field = unquote(rest), ('str', n)
            else:
                raise SystemExit('%s: cannot parse: %s' % (path, line))
    flush()
    return entries


def key(e):
    return (e.get('ctxt'), e['id'], e.get('plural'))


def show(k):
    ctxt, msgid, plural = k
    s = repr(msgid)
    if ctxt:
        s = '[%s] %s' % (ctxt, s)
    if plural:
        s += ' / ' + repr(plural)
    return s


def main():
    src = os.path.abspath(sys.argv[1])
    po = os.path.join(src, 'po')
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, 'ttyscope.pot')
        r = subprocess.run(['xgettext', '--package-name=ttyscope', '-p',
                            tmp, '-f', os.path.join(po, 'POTFILES.in'),
                            '-D', src, '-k_', '-o', fresh] + GLIB_PRESET,
                           check=True, stderr=subprocess.PIPE, text=True)
        # A format built from a macro ("%" G_GUINT64_FORMAT) is cut short
        # in the pot and never found at run time: use <inttypes.h>'s
        # PRIu64, which gettext knows.
        for line in r.stderr.splitlines():
            if 'not a valid C format string' in line:
                print('check-po: xgettext:', line)
                bad += 1
        new = {key(e) for e in parse(fresh) if e['id']}
        old = {key(e) for e in parse(os.path.join(po, 'ttyscope.pot'))
               if e['id']}
        for k in sorted(new - old, key=show):
            print('check-po: not in po/ttyscope.pot (run tools/update-po):',
                  show(k))
            bad += 1
        for k in sorted(old - new, key=show):
            print('check-po: po/ttyscope.pot has a message the sources '
                  'no longer have (run tools/update-po):', show(k))
            bad += 1
        print('check-po: %d messages in the sources, %d in po/ttyscope.pot'
              % (len(new), len(old)))

        with open(os.path.join(po, 'LINGUAS'), encoding='utf-8') as f:
            langs = [w for line in f if not line.startswith('#')
                     for w in line.split()]
        if not langs:
            print('check-po: po/LINGUAS names no language')
            bad += 1
        for lang in langs:
            path = os.path.join(po, lang + '.po')
            if not os.path.exists(path):
                print('check-po: %s is missing' % path)
                bad += 1
                continue
            r = subprocess.run(['msgfmt', '--check', '-o', os.devnull, path],
                               capture_output=True, text=True)
            if r.returncode:
                print('check-po: msgfmt --check %s:\n%s' % (path, r.stderr))
                bad += 1
            # the translations the fresh pot needs, with its flags
            merged = os.path.join(tmp, lang + '.po')
            subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching',
                            '-o', merged, path, fresh], check=True)
            r = subprocess.run(['msgfmt', '--check', '-o', os.devnull,
                                merged], capture_output=True, text=True)
            if r.returncode:
                print('check-po: msgfmt --check (%s merged with the '
                      'sources):\n%s' % (lang, r.stderr))
                bad += 1
            n = missing = fuzzy = 0
            for e in parse(merged):
                if not e['id']:
                    continue
                n += 1
                if e['fuzzy']:
                    print('check-po: %s: fuzzy: %s' % (lang, show(key(e))))
                    fuzzy += 1
                elif not e['strs'] or not all(e['strs'].values()):
                    print('check-po: %s: untranslated: %s'
                          % (lang, show(key(e))))
                    missing += 1
            print('check-po: %s: %d messages, %d untranslated, %d fuzzy'
                  % (lang, n, missing, fuzzy))
            if n != len(new):
                print('check-po: %s: %d messages after merging, the sources '
                      'have %d' % (lang, n, len(new)))
                bad += 1
            bad += missing + fuzzy
    print('check-po: %d problems' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
