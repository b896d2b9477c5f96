#!/usr/bin/env python3
"""Integration: `pages = all` follows a live blog's own navigation to
its older pages, against a loopback multi-page blog rendered by lwblog
(page 1 the newest posts with an "older" link to page 2, and so on)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lwblog import Post, render_blog  # noqa: E402
from lwtest import Sandbox, check, eq, run_tests  # noqa: E402

HEADLINE = 'Harbour live: every post of every page'
PER_PAGE = 4


def make_posts(n):
    """n posts, newest first, one a minute back from 12:59."""
    return [Post(published='2031-07-04T12:%02d:00Z' % (59 - i),
                 title='Post %d' % (n - i) if i % 2 else None,
                 paras=['Report number %d from the harbour.' % (n - i)], seed=i)
            for i in range(n)]


def page_path(k):
    return '/live' if k == 1 else '/live/page/%d' % k


def serve_pages(sb, posts, loop=False, pages=None):
    """Serves posts PER_PAGE a page; each page links the next older one
    (the last links back to page 1 when loop is true).  Returns the
    posts of each page."""
    chunks = [posts[i:i + PER_PAGE] for i in range(0, len(posts), PER_PAGE)]
    for k, chunk in enumerate(chunks, 1):
        last = k == len(chunks)
        older = None if last and not loop else page_path(1 if last else k + 1)
        html = render_blog(chunk, page_url=sb.url(page_path(k)), headline=HEADLINE,
                           older_link=older, now='2031-07-04T13:05:00Z')
        sb.server.set(page_path(k), body=html)
    return chunks


def sandbox(pages='all', max_pages=None):
    sb = Sandbox(extra_main='delay = 0\n')
    with open(sb.config) as f:
        cfg = f.read()
    extra = 'pages = %s\n' % pages
    if max_pages is not None:
        extra += 'max_pages = %d\n' % max_pages
    url_line = 'url = %s\n' % sb.url('/live')
    check(url_line in cfg, 'blog url line in the sandbox config')
    with open(sb.config, 'w') as f:
        f.write(cfg.replace(url_line, url_line + extra, 1))
    return sb


def entry_ids(sb):
    return sb.entry_ids()


def blog_commits(sb):
    """Commits that touch the blog (the repository's first commit does not)."""
    if sb.commits() == 0:
        return 0
    return len(sb.git('log', '--format=%H', '--', 'live').split())


def requested(sb):
    return [r['path'] for r in sb.server.requests() if r['path'].startswith('/live')]


def test_all_pages_recorded_once():
    sb = sandbox()
    try:
        posts = make_posts(4 * PER_PAGE - 1)  # last page not full
        serve_pages(sb, posts)
        sb.poll()
        eq(entry_ids(sb), sorted(p.id for p in posts), 'entries of every page')
        eq(requested(sb), [page_path(k) for k in range(1, 5)], 'pages fetched in order')
        eq(blog_commits(sb), 1, 'one commit for the whole blog')
        body = sb.entry_file(posts[-1].id)
        check('Report number 1 from the harbour.' in body, 'oldest post has its text')
        # the page index lists every post, newest first
        with open(os.path.join(sb.repo, 'live', 'index.md')) as f:
            index = f.read()
        positions = [index.find(p.id) for p in posts]
        check(all(x >= 0 for x in positions), 'every post in index.md')
        eq(positions, sorted(positions), 'index.md in page order')
        # a second poll of the same blog changes nothing
        sb.server.clear_requests()
        sb.poll()
        eq(blog_commits(sb), 1, 'no commit when nothing changed')
        # a post on page 3 edited: one commit, one M
        posts[9] = posts[9].copy(paras=['Report number 7, corrected.'],
                                 updated='2031-07-04T13:00:00Z')
        serve_pages(sb, posts)
        sb.poll()
        eq(blog_commits(sb), 2, 'a commit for the edit')
        eq(sb.last_changes(), {('M', posts[9].id)}, 'only the edited post changed')
    finally:
        sb.close()


def test_one_page_by_default():
    sb = sandbox(pages='1')
    try:
        posts = make_posts(3 * PER_PAGE)
        chunks = serve_pages(sb, posts)
        sb.poll()
        eq(entry_ids(sb), sorted(p.id for p in chunks[0]), 'page 1 only')
        eq(requested(sb), ['/live'], 'only page 1 fetched')
    finally:
        sb.close()


def test_loop_of_next_links_stops():
    sb = sandbox()
    try:
        posts = make_posts(3 * PER_PAGE)
        serve_pages(sb, posts, loop=True)
        sb.poll()
        eq(entry_ids(sb), sorted(p.id for p in posts), 'every post once')
        eq(requested(sb), [page_path(k) for k in range(1, 4)], 'no page fetched twice')
    finally:
        sb.close()


def test_failing_older_page_fails_the_poll():
    sb = sandbox()
    try:
        posts = make_posts(3 * PER_PAGE)
        serve_pages(sb, posts)
        sb.server.set(page_path(2), body='gone', status=500)
        p = sb.poll(check=None)
        eq(p.returncode, 1, 'poll fails (a runtime failure) when page 2 fails')
        eq(blog_commits(sb), 0, 'nothing committed')
        check('page/2' in p.stderr, 'the error names the failing page: %r' % p.stderr)
        # page 2 back: the whole blog is recorded
        serve_pages(sb, posts)
        sb.poll()
        eq(entry_ids(sb), sorted(p.id for p in posts), 'every post after recovery')
    finally:
        sb.close()


def test_max_pages_bounds_it():
    sb = sandbox(max_pages=2)
    try:
        posts = make_posts(5 * PER_PAGE)
        chunks = serve_pages(sb, posts)
        sb.poll()
        eq(entry_ids(sb), sorted(p.id for p in chunks[0] + chunks[1]), 'two pages')
        eq(requested(sb), ['/live', page_path(2)], 'two pages fetched')
    finally:
        sb.close()


if __name__ == '__main__':
    sys.exit(run_tests(globals()))
