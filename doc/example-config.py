#!/usr/bin/env python3
"""Write config.ini.example as the installed example config, its
`rules =` line naming where this install puts the shipped rules.

    example-config.py config.ini.example OUTPUT RULES_DIR
"""

import sys

LINE = 'rules = /usr/local/share/livewatch/rules'

src, dst, rules = sys.argv[1:]
with open(src) as f:
    lines = f.read().split('\n')
if LINE not in lines:
    sys.exit("%s: no line '%s' to point at %s" % (src, LINE, rules))
lines[lines.index(LINE)] = 'rules = ' + rules
with open(dst, 'w') as f:
    f.write('\n'.join(lines))
