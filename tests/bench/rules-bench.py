#!/usr/bin/env python3
"""Benchmark: rules at scale (issue 13, item 9).

    python3 tests/bench/rules-bench.py [BINARY] [--rules 10000] [--blogs 30]
                                       [--rounds 5] [--json FILE] [--keep]

BINARY defaults to build/daemon/livewatch (also --bin, or $LW_BIN).

Generates RULES rules the way a newsroom keeps them (towns, military
units, people: words, phrases, prefixes, a few `~` typos and regexes,
NEAR, fields, NOT), and two small rule sets of 2 rules.  Serves BLOGS live
blogs (tests/lwblog.py, ~17 posts of ~1 KB each) from one loopback
server; each round every blog gains one post, then `livewatch poll` runs
once with the 2 rules and once with all RULES rules, each on its own
repository (same bytes, same history), order alternating.  Round 0 is the
baseline (first sight, nothing matched) and is excluded.

Measured from os.wait4 (CPU = user + sys): poll CPU with RULES rules over
poll CPU with 2 rules (goal <= 1.5), and `livewatch check` of the RULES
rules (goal < 1 s of CPU).  Also checked: the 2 rules fire the same alerts
in both setups (the big set holds them).  Prints a table, then one JSON
line.  Standard library only.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SRCDIR = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)

import benchlib  # noqa: E402
from benchlib import Blogs, make_post  # noqa: E402
from lwhttpd import LiveServer  # noqa: E402


TOWNS = ('Bakhmut Soledar Avdiivka Vuhledar Kramatorsk Sloviansk Kostiantynivka '
         'Druzhkivka Pokrovsk Myrnohrad Selydove Kurakhove Marinka Krasnohorivka '
         'Chasiv Yar Toretsk Niu-York Siversk Lyman Kupiansk Izium Balakliia '
         'Vovchansk Lyptsi Chuhuiv Kharkiv Sumy Okhtyrka Trostianets Konotop Shostka '
         'Chernihiv Nizhyn Pryluky Bucha Irpin Hostomel Borodianka Makariv Fastiv '
         'Bila Tserkva Uman Vinnytsia Zhytomyr Korosten Rivne Lutsk Kovel Ternopil '
         'Khmelnytskyi Chernivtsi Ivano-Frankivsk Uzhhorod Mukachevo Lviv Drohobych '
         'Kherson Nova Kakhovka Oleshky Hola Prystan Beryslav Snihurivka Mykolaiv '
         'Ochakiv Voznesensk Pervomaisk Odesa Izmail Bilhorod-Dnistrovskyi Zatoka '
         'Kropyvnytskyi Oleksandriia Kryvyi Rih Nikopol Marhanets Enerhodar Tokmak '
         'Melitopol Berdiansk Mariupol Polohy Orikhiv Huliaipole Robotyne Verbove '
         'Staromaiorske Urozhaine Vremivka Velyka Novosilka Dnipro Pavlohrad Kamianske '
         'Poltava Kremenchuk Myrhorod Lubny Cherkasy Smila Zolotonosha Luhansk '
         'Sievierodonetsk Lysychansk Rubizhne Popasna Kreminna Svatove Starobilsk '
         'Donetsk Makiivka Horlivka Yenakiieve Debaltseve Ilovaisk Amvrosiivka '
         'Volnovakha Olenivka Yasynuvata Simferopol Sevastopol Kerch Feodosiia '
         'Yevpatoriia Dzhankoi Armiansk Chonhar Belgorod Kursk Bryansk Shebekino '
         'Novozybkov Rostov Taganrog Novorossiysk Engels Morozovsk Millerovo').split()
PEOPLE = ('Volodymyr Zelensky; Valerii Zaluzhnyi; Oleksandr Syrskyi; Kyrylo Budanov; '
          'Dmytro Kuleba; Andriy Yermak; Oleksii Reznikov; Rustem Umerov; Denys Shmyhal; '
          'Vitali Klitschko; Ihor Terekhov; Oleh Syniehubov; Vitaliy Kim; Serhiy Lysak; '
          'Vadym Filashkin; Pavlo Kyrylenko; Oleksandr Prokudin; Ivan Fedorov; '
          'Vladimir Putin; Sergei Shoigu; Valery Gerasimov; Sergei Lavrov; Dmitry Peskov; '
          'Yevgeny Prigozhin; Sergei Surovikin; Ramzan Kadyrov; Maria Zakharova; '
          'Dmitry Medvedev; Alexander Lukashenko; Denis Pushilin; Leonid Pasechnik; '
          'Vladimir Saldo; Yevgeny Balitsky; Antony Blinken; Lloyd Austin; Jens Stoltenberg; '
          'Olaf Scholz; Boris Pistorius; Emmanuel Macron; Rishi Sunak; Ben Wallace; '
          'Ursula von der Leyen; Josep Borrell; Rafael Grossi; Recep Erdogan; '
          'Mateusz Morawiecki; Andrzej Duda; Kaja Kallas; Gitanas Nauseda; Viktor Orban').split('; ')
UNITS = ('Mechanised Brigade; Assault Brigade; Airborne Brigade; Marine Brigade; '
         'Tank Brigade; Artillery Brigade; Territorial Defence Brigade; '
         'Jaeger Brigade; Mountain Assault Brigade; Separate Presidential Brigade; '
         'Motor Rifle Division; Guards Tank Army; Combined Arms Army; Air Assault Division; '
         'Naval Infantry Brigade; Spetsnaz Brigade').split('; ')
NAMED_UNITS = ('Azov; Kraken; Da Vinci Wolves; Aidar; Dnipro-1; Kastus Kalinouski; '
               'Wagner; Akhmat; Rusich; Sparta; Somalia; Vostok; Storm-Z; Redut; '
               'Freedom of Russia Legion; Russian Volunteer Corps; Georgian Legion').split('; ')
TOPICS = 'shelling attack drone drones missile strike offensive evacuation blackout'.split()
SYLL_A = 'Novo Staro Krasno Velyko Malo Verkhnio Nyzhnio Zoloto Bilo Chorno Petro Ivano'.split()
SYLL_B = ('hrad pil selivka mykolaivka oleksandrivka ivanivka petrivka vasylivka '
          'dmytrivka pavlivka andriivka hryhorivka mykhailivka kostiantynivka '
          'kamianka bahachka donske luhanske zorivka dolyna').split()


def make_rules(n, seed=1):
    """n rules as (name, query); the first two are the 2-rule set."""
    rng = random.Random(seed)
    rules = [('bakhmut', 'Bakhmut~ OR Artemivsk OR Бахмут'),
             ('kharkiv-shelling', 'Kharkiv NEAR/8 (shelling OR attack OR missile*)')]
    # The posts (benchlib's make_post) name a dozen towns: the
    # generated rules name other ones, so that the alerts they fire stay a
    # handful and the poll measures matching, not delivery.
    common = set(benchlib.PLACES) | {w.capitalize() for w in benchlib.WORDS}
    towns = [t for t in TOWNS if t not in common]
    single = [t for t in towns if '-' not in t and len(t) >= 6]
    # synthetic villages, so that few rules name the same place
    for a in SYLL_A:
        for b in SYLL_B:
            towns.append(a + b)
    seen = {'bakhmut', 'kharkiv-shelling'}

    def add(name, query):
        base, k = name, 2
        while name in seen:
            name = '%s-%d' % (base, k)
            k += 1
        seen.add(name)
        rules.append((name, query))

    for t in ('Kherson', 'Odesa', 'Sumy'):
        add('town-' + t.lower(), '%s NEAR/10 (%s OR %s)' % (t, rng.choice(TOPICS), rng.choice(TOPICS)))
    while len(rules) < n:
        kind = rng.random()
        if kind < 0.40:
            t = rng.choice(towns)
            q = t if rng.random() < 0.6 else '%s NEAR/10 (%s OR %s)' % (
                t, rng.choice(TOPICS), rng.choice(TOPICS))
            if rng.random() < 0.1:
                q = 'title:' + q.split()[0]
            add('town-' + t.lower(), q)
        elif kind < 0.60:
            first, last = rng.choice(PEOPLE).rsplit(' ', 1)
            q = '"%s %s" OR %s' % (first, last, last) if rng.random() < 0.5 else \
                '"%s %s"' % (first, last)
            if rng.random() < 0.2:
                q += ' -football -concert'
            add('person-' + last.lower(), q)
        elif kind < 0.80:
            num = rng.randint(1, 160)
            suffix = 'th' if 10 <= num % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(num % 10, 'th')
            u = rng.choice(UNITS)
            q = '"%d%s %s"' % (num, suffix, u)
            if rng.random() < 0.3:
                q += ' OR "%d%s %s"' % (num, suffix, u.split()[-1])
            add('unit-%d-%s' % (num, u.split()[0].lower()), q)
        elif kind < 0.87:
            u = rng.choice(NAMED_UNITS)
            q = '"%s"' % u if ' ' in u or '-' in u else '%s NEAR/5 (battalion OR regiment OR unit OR fighters)' % u
            add('named-' + u.split()[0].lower(), q)
        elif kind < 0.94:
            t = rng.choice(single + towns[-len(SYLL_A) * len(SYLL_B):])
            pre = t[:max(5, len(t) - 3)]
            add('prefix-' + t.lower(), '%s* NOT %s' % (pre, rng.choice(TOPICS)))
        elif kind < 0.99:
            t = rng.choice(single)
            add('typo-' + t.lower(), '%s~' % t)
        else:
            t = rng.choice(towns)
            add('regex-' + t.lower(), '/\\b%s(sk|ka|ne)?\\b/ NEAR/10 %s' % (t[:5], rng.choice(TOPICS)))
    return rules[:n]


def write_rules(path, rules):
    with open(path, 'w') as f:
        for name, q in rules:
            f.write('[%s]\nquery = %s\n\n' % (name, q))


def run(argv, env):
    """(exit status, cpu seconds, wall seconds, output)."""
    out = tempfile.TemporaryFile()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    out.seek(0)
    text = out.read().decode('utf-8', 'replace')
    out.close()
    return os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime, wall, text


def alerts_of(path, rules):
    """(rule, entry) pairs of the alerts in a file sink, for rules only."""
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                a = json.loads(line)
                if a['rule'] in rules:
                    out.append((a['blog'], a['entry'], a['rule']))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('binary', nargs='?', default=None)
    ap.add_argument('--bin', default=None)
    ap.add_argument('--rules', type=int, default=10000)
    ap.add_argument('--blogs', type=int, default=30)
    ap.add_argument('--rounds', type=int, default=5, help='measured rounds after the baseline')
    ap.add_argument('--page', type=int, default=17, help='posts on each page')
    ap.add_argument('--post-bytes', type=int, default=1000)
    ap.add_argument('--poll-goal', type=float, default=1.5)
    ap.add_argument('--check-goal', type=float, default=1.0, help='seconds of CPU')
    ap.add_argument('--json', help='write the figures here too')
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--write', metavar='DIR',
                    help='only write DIR/news.rules and DIR/posts.txt (for rules-bench.c) and exit')
    args = ap.parse_args()
    if args.write:
        os.makedirs(args.write, exist_ok=True)
        write_rules(os.path.join(args.write, 'news.rules'), make_rules(args.rules))
        with open(os.path.join(args.write, 'posts.txt'), 'w') as f:
            # a title line, then the body's paragraphs; posts end with a form feed
            for b in range(args.blogs):
                for n in range(args.page):
                    p = make_post(b, n, args.post_bytes)
                    f.write('%s\n%s\n\f\n' % (p.title or '', '\n'.join(p.paras)))
        return 0
    binary = os.path.abspath(args.binary or args.bin or os.environ.get('LW_BIN') or
                             os.path.join(SRCDIR, 'build', 'daemon', 'livewatch'))
    if not os.access(binary, os.X_OK):
        ap.error('no livewatch binary at %s (build first, or pass it)' % binary)

    tmp = tempfile.mkdtemp(prefix='lw-rules-bench-')
    server = LiveServer().start()
    blogs = Blogs(server, args.blogs, args.page, args.post_bytes)
    env = dict(os.environ)
    for k in ('NOTIFY_SOCKET', 'DBUS_SESSION_BUS_ADDRESS', 'JOURNAL_STREAM'):
        env.pop(k, None)
    env['HOME'] = tmp

    rules = make_rules(args.rules)
    kinds = {}
    for name, _ in rules[2:]:
        k = name.split('-')[0]
        kinds[k] = kinds.get(k, 0) + 1
    setups = {}
    for label, rs in (('2', rules[:2]), (str(args.rules), rules)):
        d = os.path.join(tmp, 'r' + label)
        os.makedirs(d)
        write_rules(os.path.join(d, 'news.rules'), rs)
        cfg = os.path.join(d, 'config.ini')
        with open(cfg, 'w') as f:
            f.write('[livewatch]\nrepo = %s\ntimeout = 30\nrules = %s\n\n'
                    % (os.path.join(d, 'history'), os.path.join(d, 'news.rules')))
            for b in range(args.blogs):
                f.write('[blog "%s"]\nurl = %s\n\n' % (blogs.name(b), server.url(blogs.path(b))))
            f.write('[sink "file"]\ntype = file\npath = %s\n' % os.path.join(d, 'alerts.jsonl'))
        setups[label] = {'dir': d, 'config': cfg, 'cpu': [], 'wall': []}
    small, big = '2', str(args.rules)

    failures = []
    print('rules-bench: %s' % binary)
    print('  %d rules (%s), %d blogs, one new post per blog per round, %d rounds + baseline'
          % (args.rules, ', '.join('%s %d' % kv for kv in sorted(kinds.items())),
             args.blogs, args.rounds), flush=True)
    check = {}
    try:
        for label in (small, big):
            cpus = []
            for _ in range(3):
                rc, cpu, wall, out = run([binary, '-c', setups[label]['config'], 'check'], env)
                if rc != 0:
                    failures.append('check with %s rules exited %d: %s' % (label, rc, out[-300:]))
                cpus.append(cpu)
            check[label] = min(cpus)
        print('  check CPU: %s rules %.0f ms, %s rules %.0f ms (best of 3)'
              % (small, check[small] * 1000, big, check[big] * 1000))
        print('  %5s %14s %14s %7s' % ('round', '%s rules ms' % small, '%s rules ms' % big,
                                       'ratio'), flush=True)
        for r in range(args.rounds + 1):
            for b in range(args.blogs):
                blogs.publish(b, args.page if r == 0 else 1)
            order = [small, big] if r % 2 == 0 else [big, small]
            row = {}
            for label in order:
                s = setups[label]
                rc, cpu, wall, out = run([binary, '-c', s['config'], 'poll'], env)
                if rc != 0:
                    failures.append('round %d: poll with %s rules exited %d: %s'
                                    % (r, label, rc, out[-400:]))
                row[label] = cpu
                if r > 0:
                    s['cpu'].append(cpu)
                    s['wall'].append(wall)
            print('  %5s %14.1f %14.1f %7.2f' % ('base' if r == 0 else r, row[small] * 1000,
                                                  row[big] * 1000, row[big] / row[small]),
                  flush=True)
            if len(failures) > 3:
                break
    finally:
        server.stop()

    two = {n for n, _ in rules[:2]}
    a_small = alerts_of(os.path.join(setups[small]['dir'], 'alerts.jsonl'), two)
    a_big = alerts_of(os.path.join(setups[big]['dir'], 'alerts.jsonl'), two)
    all_big = alerts_of(os.path.join(setups[big]['dir'], 'alerts.jsonl'), {n for n, _ in rules})
    if a_small != a_big:
        failures.append('the 2 rules fired %d alerts alone and %d among %d rules'
                        % (len(a_small), len(a_big), args.rules))
    cpu_small = sum(setups[small]['cpu'])
    cpu_big = sum(setups[big]['cpu'])
    ratio = cpu_big / cpu_small if cpu_small else float('nan')
    fig = {'bench': 'rules', 'binary': binary, 'rules': args.rules, 'blogs': args.blogs,
           'rounds': len(setups[big]['cpu']),
           'poll_cpu_ms_2_rules': round(1000 * cpu_small / max(1, len(setups[small]['cpu'])), 1),
           'poll_cpu_ms_many_rules': round(1000 * cpu_big / max(1, len(setups[big]['cpu'])), 1),
           'poll_ratio': round(ratio, 3),
           'check_cpu_ms_2_rules': round(check.get(small, 0) * 1000, 1),
           'check_cpu_ms_many_rules': round(check.get(big, 0) * 1000, 1),
           'alerts_2_rules': len(a_small), 'alerts_many_rules': len(all_big)}
    if not ratio <= args.poll_goal:
        failures.append('poll CPU with %d rules %.2fx that with 2, goal <= %.2fx'
                        % (args.rules, ratio, args.poll_goal))
    if not check.get(big, 99) < args.check_goal:
        failures.append('check of %d rules took %.2f s of CPU, goal < %.2f s'
                        % (args.rules, check.get(big, 0), args.check_goal))
    print()
    print('  poll CPU (mean of %d rounds): %s rules %.1f ms, %s rules %.1f ms: %.2fx (goal <= %.2fx)'
          % (fig['rounds'], small, fig['poll_cpu_ms_2_rules'], big, fig['poll_cpu_ms_many_rules'],
             ratio, args.poll_goal))
    print('  check CPU of %s rules: %.0f ms (goal < %.0f ms)'
          % (big, fig['check_cpu_ms_many_rules'], args.check_goal * 1000))
    print('  alerts: %d from the 2 rules (the same among %s rules), %d in all with %s rules'
          % (len(a_small), big, len(all_big), big))
    return benchlib.finish(fig, failures, args.json, tmp, args.keep)


if __name__ == '__main__':
    sys.exit(main())
