#!/usr/bin/env python3
"""Write the bundled demo: five versions of one fictional live blog.

    python3 demo/make-pages.py          # rewrites demo/page-1.html … page-5.html
                                        # and demo/expected.json
    python3 demo/make-pages.py --check  # TAP: the committed files are what
                                        # this script writes, and hold the
                                        # story below

`livewatch demo` replays these pages in order, offline, as if it polled
https://demo.livewatch.invalid/world/live/ukraine-war-live five times during
one day (Tuesday 14 February 2023, times in UTC = GMT).  The text is
invented for livewatch (no publisher wrote it); the markup is the Guardian's
"dotcom-rendering" live blog markup as tests/lwblog.py renders it.

Rules the demo is meant for (DESIGN.md):

    [bakhmut]        query = Bakhmut~ OR Artemivsk OR Бахмут
    [leopard-tanks]  query = Leopard NEAR/8 (tank OR tanks OR "Leopard 2")

Posts (ids are fixed: 8 hex digits of the publication time, then
00000000 5eed00NN with NN the post number in hex; P4 = block-63eb59c0000000005eed0004):

    P1  08:04  Opening summary                  (key event, list)
    P2  08:41  (untitled) Kyiv air raid alert lifted
    P3  09:15  Repair crews working around the clock, says energy ministry
    P4  09:52  Nato defence ministers gather in Brussels   (key event, photo)
    P5  10:20  (untitled) UK intelligence update on the Donetsk region
    P6  10:48  Moldova briefly closes part of its airspace
    P7  11:30  Heavy fighting around Bakhmut, says Ukrainian military (key event)
    P8  12:02  (untitled) EU close to agreeing new sanctions package
    P9  13:38  Norway to send eight Leopard 2 tanks to Ukraine (key event)
    P10 15:12  (untitled) attacks repelled near "Bahkmut" (typo)
    P11 18:45  Closing summary                  (key event, list)

What each version is and what a poll of it must produce:

    page-1.html  fetched 10:52  P6 P5 P4 P3 P2 P1
        Baseline (first poll): 6 new; no alerts fire on a first poll.
    page-2.html  fetched 12:07  P8 P7 + v1
        2 new (P7, P8).  Alert: bakhmut on P7 ("fighting around Bakhmut").
    page-3.html  fetched 13:43  P9 P8 P7 P6 P5 P4' P3 P2 P1
        1 new (P9), 1 edited (P4: one sentence added, footer "Updated at
        13.20 GMT").  Alert: leopard-tanks on P9.  Every relative time on
        the page changed ("5m ago" -> "1h ago", ...): not an edit.
    page-4.html  fetched 15:30  P10 P9 P8 P7 P5 P4' P3 P2 P1, pinned copy of P9
        1 new (P10), 1 removed (P6: gone while older posts P5…P1 are still
        shown, so it is inside the window).  Alert: bakhmut on P10, which
        only matches through the typo rule ("Bahkmut" ~ Bakhmut).
        A copy of P9 is pinned at the top (div#pinned-post, an <article>
        without id): not an entry, not new, no second leopard-tanks alert.
        The site was also redeployed (classes_seed=1): every dcr- class
        name, attribute order and inter-tag whitespace changed: no edits.
    page-5.html  fetched 18:55  P11 P10' P9 P8 P7 P5 P4' P3, pinned copy of P9
        1 new (P11), 1 edited (P10: "Bahkmut" -> "Bakhmut", footer
        "Updated at 17.05 GMT"); the page now shows only the newest 8 posts,
        so P2 and P1 page out (older than everything shown: not removed,
        their files stay; the page links to them as "Next"/"Oldest").
        Alerts: bakhmut and leopard-tanks on P11 (the summary names both);
        nothing for P10, which already matched before the typo fix.

Totals over the five polls: 11 entries seen, 10 entry files at the end
(P6 removed; P1 and P2 paged out but kept); 5 commits with changes
(6 new; 2 new; 1 new 1 edited; 1 new 1 removed; 1 new 1 edited); 5 alerts
after the baseline: bakhmut P7, leopard-tanks P9, bakhmut P10, bakhmut P11,
leopard-tanks P11 (3 bakhmut, 2 leopard-tanks).

The same facts are written to demo/expected.json for tests.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))

from lwblog import Post, render_blog  # noqa: E402

PAGE_URL = 'https://demo.livewatch.invalid/world/live/ukraine-war-live'
HEADLINE = ('Ukraine war live: Nato defence ministers meet in Brussels as '
            'fighting continues in the east')
STANDFIRST = ('Ministers discuss air defence and armour for Kyiv; repair '
              'crews work to restore power after overnight strikes')
SITE = 'Livewatch Demo'
AUTHORS = ['Hanna Lind', 'Tom Okafor']
DAY = '2023-02-14T'


def at(hhmm):
    return DAY + hhmm + ':00Z'


# Fixed ids: 8 hex digits of the publication time, then 16 of our own.
def _id(hhmm, n):
    import datetime as dt
    t = dt.datetime.fromisoformat(DAY + hhmm + ':00+00:00')
    return 'block-%08x%016x' % (int(t.timestamp()), 0x5eed0000 + n)


P1 = Post(id=_id('08:04', 1), published=at('08:04'), title='Opening summary',
          key_event=True, summary=True, author='Tom Okafor', paras=[
              'Good morning and welcome to our live coverage of the war in '
              'Ukraine. Here is a round-up of where things stand as the day '
              'begins.',
              ('list', [
                  'Air raid sirens sounded across much of **Ukraine** '
                  'overnight, and regional officials reported damage to '
                  'power lines in at least three regions.',
                  'Defence ministers from Nato member states meet in '
                  '**Brussels** today, with air defence and ammunition '
                  'supplies expected to top the agenda.',
                  "Ukraine's grid operator said it would keep scheduled "
                  'outages in place in several regions while repairs '
                  'continue.',
                  "Moldova's government said it was looking into reports of "
                  'an unidentified object in its airspace overnight.',
              ]),
          ])

P2 = Post(id=_id('08:41', 2), published=at('08:41'), author='Tom Okafor',
          paras=[
              'An air raid alert that began shortly after 7am local time has '
              'been lifted in **Kyiv** and the surrounding region, the '
              "city's military administration said.",
              'Officials said no damage had been reported in the capital, '
              'but asked residents to keep following announcements because '
              'further alerts were possible during the day.',
          ])

P3 = Post(id=_id('09:15', 3), published=at('09:15'), author='Hanna Lind',
          title='Repair crews working around the clock, says energy ministry',
          paras=[
              "Ukraine's energy ministry says engineers are working in shifts "
              'to restore electricity to homes that lost power after the '
              'latest strikes on the grid.',
              'In a statement on its website, the ministry said:',
              ('quote', [
                  'Our teams have reconnected most critical facilities, '
                  'including hospitals and water pumping stations. Work on '
                  'the remaining lines will continue through the night if '
                  'necessary.',
                  'We ask everyone to use electricity sparingly during the '
                  'evening peak.',
              ]),
          ])

P4 = Post(id=_id('09:52', 4), published=at('09:52'), author='Hanna Lind',
          title='Nato defence ministers gather in Brussels', key_event=True,
          paras=[
              "Defence ministers from the alliance's member states are "
              'arriving in **Brussels** for two days of talks on military '
              'support for Ukraine.',
              'Diplomats said the discussions would focus on air defence '
              'systems, artillery ammunition and ways to speed up deliveries '
              'that have already been promised.',
              ('figure', "Defence ministers arrive at the alliance's "
               'headquarters in Brussels on Tuesday morning.',
               'Demo Agency'),
          ])
P4_EDITED = P4.copy(updated=at('13:20'), paras=P4.paras[:2] + [
    'A joint press conference is expected in the late afternoon, once the '
    'first session of talks has finished.'] + P4.paras[2:])

P5 = Post(id=_id('10:20', 5), published=at('10:20'), author='Tom Okafor',
          paras=[
              "Britain's defence ministry says in its daily intelligence "
              'update that Russian forces have kept up small-scale attacks '
              'along several sections of the front line in the **Donetsk** '
              'region.',
              'The update says both sides are short of trained personnel, and '
              'that heavy losses have probably slowed the pace of Russian '
              'operations in recent weeks.',
          ])

P6 = Post(id=_id('10:48', 6), published=at('10:48'), author='Tom Okafor',
          title='Moldova briefly closes part of its airspace',
          paras=[
              "Moldova's government says it closed part of its airspace for "
              'a short time overnight after reports of an unidentified '
              'object, and reopened it a few hours later.',
              'A government spokesperson said there had been no threat to '
              'the public and that officials were in contact with '
              'neighbouring countries.',
          ])

P7 = Post(id=_id('11:30', 7), published=at('11:30'), author='Hanna Lind',
          title='Heavy fighting around Bakhmut, says Ukrainian military',
          key_event=True, paras=[
              "Ukraine's military says its troops are holding their "
              'positions despite heavy fighting around **Bakhmut**, where '
              'Russian forces have been trying to encircle the town for '
              'months.',
              'In its morning update, the general staff said its units had '
              'beaten back a series of assaults on villages to the north of '
              'the town, and that shelling had continued through the night.',
              'The claims could not be independently verified.',
          ])

P8 = Post(id=_id('12:02', 8), published=at('12:02'), author='Tom Okafor',
          paras=[
              "The EU's foreign policy chief says member states are close to "
              'agreeing a new package of sanctions against Russia, including '
              'further limits on exports of technology that can be put to '
              'military use.',
              'Diplomats hope to approve the package before the first '
              'anniversary of the full-scale invasion on 24 February.',
          ])

P9 = Post(id=_id('13:38', 9), published=at('13:38'), author='Hanna Lind',
          title='Norway to send eight Leopard 2 tanks to Ukraine',
          key_event=True, paras=[
              '**Norway** will send eight Leopard 2 tanks to Ukraine, along '
              "with up to four support vehicles, the country's defence "
              'ministry has announced.',
              'The ministry said the tanks would be part of a joint '
              'contribution with other European countries, and that '
              'Ukrainian crews would be trained on them before delivery.',
              'In a statement, it said:',
              ('quote', [
                  "Supporting Ukraine's ability to defend itself remains our "
                  'highest priority. This contribution has been coordinated '
                  'closely with our allies.',
              ]),
          ])

P10 = Post(id=_id('15:12', 10), published=at('15:12'), author='Tom Okafor',
           paras=[
               "Ukraine's general staff says its forces repelled 17 attacks "
               'over the past day near Bahkmut and around the towns of Lyman '
               'and Avdiivka.',
               'Russian forces also shelled residential areas in the '
               '**Kherson** region, wounding two people, the regional '
               'administration said.',
           ])
P10_FIXED = P10.copy(updated=at('17:05'), paras=[
    P10.paras[0].replace('Bahkmut', 'Bakhmut')] + P10.paras[1:])

P11 = Post(id=_id('18:45', 11), published=at('18:45'), author='Hanna Lind',
           title='Closing summary', key_event=True, summary=True, paras=[
               'We are closing our live coverage for today. Here is a summary '
               'of the main developments:',
               ('list', [
                   'Nato defence ministers began two days of talks in '
                   'Brussels on air defence, ammunition and faster deliveries '
                   'of equipment already promised to Ukraine.',
                   'Norway said it would send eight Leopard 2 tanks to '
                   'Ukraine as part of a joint European contribution.',
                   "Ukraine's military said heavy fighting continued around "
                   'Bakhmut, where its troops were holding their positions.',
                   'The EU is close to agreeing a new sanctions package, which '
                   'diplomats hope to approve before 24 February.',
                   'Engineers worked through the day to restore power after '
                   'strikes on the grid; scheduled outages remain in place in '
                   'several regions.',
               ]),
               'Thank you for following. Our coverage resumes tomorrow '
               'morning.',
           ])

NAMES = {p.id: n for n, p in (
    ('P1', P1), ('P2', P2), ('P3', P3), ('P4', P4), ('P5', P5), ('P6', P6),
    ('P7', P7), ('P8', P8), ('P9', P9), ('P10', P10), ('P11', P11))}

# (posts newest first, pinned, now, classes_seed, page_size)
VERSIONS = [
    ([P6, P5, P4, P3, P2, P1], None, at('10:52'), 0, None),
    ([P8, P7, P6, P5, P4, P3, P2, P1], None, at('12:07'), 0, None),
    ([P9, P8, P7, P6, P5, P4_EDITED, P3, P2, P1], None, at('13:43'), 0, None),
    ([P10, P9, P8, P7, P5, P4_EDITED, P3, P2, P1], P9, at('15:30'), 1, None),
    ([P11, P10_FIXED, P9, P8, P7, P5, P4_EDITED, P3, P2, P1], P9,
     at('18:55'), 1, 8),
]

# What a poll of each version must produce (ids).
EXPECTED = [
    {'fetched': at('10:52'), 'baseline': True,
     'new': [P6, P5, P4, P3, P2, P1], 'edited': [], 'removed': [],
     'paged_out': [], 'alerts': []},
    {'fetched': at('12:07'), 'new': [P8, P7], 'edited': [], 'removed': [],
     'paged_out': [], 'alerts': [('bakhmut', P7)]},
    {'fetched': at('13:43'), 'new': [P9], 'edited': [P4], 'removed': [],
     'paged_out': [], 'alerts': [('leopard-tanks', P9)]},
    {'fetched': at('15:30'), 'new': [P10], 'edited': [], 'removed': [P6],
     'paged_out': [], 'alerts': [('bakhmut', P10)], 'pinned': P9},
    {'fetched': at('18:55'), 'new': [P11], 'edited': [P10], 'removed': [],
     'paged_out': [P2, P1],
     'alerts': [('bakhmut', P11), ('leopard-tanks', P11)], 'pinned': P9},
]


def render(n):
    posts, pinned, now, seed, size = VERSIONS[n]
    return render_blog(posts, page_url=PAGE_URL, headline=HEADLINE,
                       pinned=pinned, relative_times=True, now=now,
                       classes_seed=seed, page_size=size, jsonld=True,
                       site_name=SITE, standfirst=STANDFIRST, authors=AUTHORS)


def expected_json():
    out = {'url': PAGE_URL, 'headline': HEADLINE, 'versions': []}
    for n, e in enumerate(EXPECTED):
        posts, pinned, now, seed, size = VERSIONS[n]
        shown = posts[:size] if size else posts
        v = {'page': 'page-%d.html' % (n + 1),
             'fetched': e['fetched'],
             'baseline': e.get('baseline', False),
             'shown': [p.id for p in shown],
             'pinned': e['pinned'].id if e.get('pinned') else None}
        for k in ('new', 'edited', 'removed', 'paged_out'):
            v[k] = [p.id for p in e[k]]
        v['alerts'] = [{'rule': r, 'entry': p.id} for r, p in e['alerts']]
        v['entries'] = [{'id': p.id, 'name': NAMES[p.id],
                         'published': p.published, 'updated': p.updated,
                         'title': p.title or '', 'body': p.body_text(),
                         # the permalink the post's header links to
                         'url': '%s?page=with:%s#%s' % (PAGE_URL, p.id, p.id)}
                        for p in shown]
        out['versions'].append(v)
    return out


def check():
    """TAP: committed pages are current and tell the story above."""
    import re
    from html.parser import HTMLParser

    class Articles(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.found, self.bad = [], [], 0
            self.void = {'img', 'input', 'source', 'meta', 'link', 'br',
                         'path'}

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == 'article':
                self.found.append((a.get('id'),
                                   any(x.get('id') == 'pinned-post'
                                       for x in self.stack)))
            if tag not in self.void:
                self.stack.append(a)

        def handle_endtag(self, tag):
            if tag in self.void:
                return
            if not self.stack:
                self.bad += 1
            else:
                self.stack.pop()

    results = []
    exp = expected_json()
    for n, v in enumerate(exp['versions']):
        name = v['page']
        try:
            with open(os.path.join(HERE, name), encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            text = ''
            results.append(('%s readable (%s)' % (name, e), False))
        results.append(('%s is what make-pages.py writes' % name,
                        text == render(n)))
        a = Articles()
        a.feed(text)
        a.close()
        ids = [i for i, pinned in a.found if not pinned]
        pins = [i for i, pinned in a.found if pinned]
        results.append(('%s shows the intended posts in order' % name,
                        ids == v['shown'] and not a.bad and not a.stack))
        results.append(('%s pinned copy has no id' % name,
                        pins == ([None] if v['pinned'] else [])))
    # the rules' words appear in entries exactly where alerts are expected
    seen = {}
    for v in exp['versions']:
        for e in v['entries']:
            text = e['title'] + '\n' + e['body']
            for rule, pat in (('bakhmut', r'\b(Bakhmut|Bahkmut)\b'),
                              ('leopard-tanks', r'\bLeopard 2 tanks\b')):
                hit = bool(re.search(pat, text))
                key = (rule, e['id'])
                if hit and not seen.get(key) and not v['baseline']:
                    results.append(('%s: %s alerts on %s' % (
                        v['page'], rule, e['name']),
                        {'rule': rule, 'entry': e['id']} in v['alerts']))
                seen[key] = seen.get(key) or hit
        for al in v['alerts']:
            results.append(('%s: expected alert %s on %s is an entry on the page' % (
                v['page'], al['rule'], al['entry']),
                any(e['id'] == al['entry'] for e in v['entries'])))
    try:
        with open(os.path.join(HERE, 'expected.json'), encoding='utf-8') as f:
            results.append(('expected.json is current', json.load(f) == exp))
    except (OSError, ValueError):
        results.append(('expected.json is current', False))
    print('1..%d' % len(results))
    for n, (what, ok) in enumerate(results, 1):
        print('%sok %d - %s' % ('' if ok else 'not ', n, what))
    return 0 if all(ok for _, ok in results) else 1


def main():
    if sys.argv[1:] == ['--check']:
        return check()
    for n in range(len(VERSIONS)):
        path = os.path.join(HERE, 'page-%d.html' % (n + 1))
        with open(path, 'w', encoding='utf-8', newline='\n') as f:
            f.write(render(n))
    with open(os.path.join(HERE, 'expected.json'), 'w',
              encoding='utf-8', newline='\n') as f:
        json.dump(expected_json(), f, ensure_ascii=False, indent=1)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
