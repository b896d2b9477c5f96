#!/usr/bin/env python3
"""Write a ~1.3 MB live blog page in the Guardian's markup for the
extraction benchmark: tests/bench/extract-page.py OUT [TARGET_BYTES].

The page is rendered by tests/lwblog.py (page chrome, JSON-LD with every
update, key-events carousels, pinned post) with as many posts as it takes
to reach the target size; deterministic."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from lwblog import Post, render_blog  # noqa: E402


def page(n):
    posts = []
    for i in range(n):
        m = 59 - (i % 60)
        h = 23 - (i // 60) % 24
        paras = ['Paragraph %d with **bold** words and [a link](https://example.org/%d), '
                 'long enough to look like a real post about the war and its diplomacy.' % (i, i),
                 'A second paragraph: officials said talks would continue on Tuesday.']
        if i % 3 == 0:
            paras.append(('quote', ['A quotation from a minister.', 'And its second half.']))
        if i % 4 == 0:
            paras.append(('list', ['First point.', 'Second point.', 'Third point.']))
        if i % 5 == 0:
            paras.append(('figure', 'A caption for picture %d.' % i, 'Reuters'))
        if i % 7 == 0:
            paras.append(('tweet', 'Tweet text %d.' % i, 'Handle'))
        posts.append(Post(published='2031-02-%02dT%02d:%02d:00Z' % (14 - i // 1440, h, m),
                          title=('Headline %d' % i) if i % 3 == 1 else None,
                          paras=paras, key_event=(i % 10 == 2), seed=i))
    return render_blog(posts, page_url='https://live.example.org/live/bench',
                       headline='Benchmark live', pinned=posts[min(3, n - 1)],
                       now='2031-02-15T00:00:00Z')


def main():
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 1300 * 1000
    lo, hi = 1, 2000
    while lo < hi:  # fewest posts that reach the target
        mid = (lo + hi) // 2
        if len(page(mid).encode()) >= target:
            hi = mid
        else:
            lo = mid + 1
    with open(out, 'w', encoding='utf-8') as f:
        f.write(page(lo))


if __name__ == '__main__':
    main()
