"""The demo's English-speaking resident (issue 21): Mary (demo-resident-mary) reads
English, has a confirmed home in 晋阳社区, and gets the demo notice and the residence
permit item in English; 王阿姨 gets them in Chinese."""
from __future__ import annotations

from tests.test_participation_demo import _login, _seed


def test_mary_reads_the_demo_in_english(app, client):
    _seed(app)
    mary, wang = _login(client, "demo-resident-mary"), _login(client, "demo-resident-wang")
    me = client.get("/api/v1/me", headers=mary).get_json()
    assert (me["display_name"], me["role"], me["language"]) == ("Mary", "resident", "en")
    homes = client.get("/api/v1/me/residencies", headers=mary).get_json()
    assert [(h["community_name"], h["status"]) for h in homes] == [("晋阳社区", "confirmed")]
    notice = client.get("/api/v1/me/notices", headers=mary).get_json()["items"][0]
    assert notice["language"] == "en"
    assert notice["title"] == "Vote on this year's courtyard micro-projects"
    theirs = client.get("/api/v1/me/notices", headers=wang).get_json()["items"][0]
    assert (theirs["title"], theirs["language"]) == ("关于开展院落微项目居民投票的公告", "zh")

    items = {i["code"]: i for i in client.get("/api/v1/service-items",
                                              headers=mary).get_json()}
    permit = items["HJ01"]
    assert (permit["name"], permit["language"]) == ("Residence permit", "en")
    assert permit["materials"][0] == "ID card or passport (original)"
    assert permit["notes"].startswith("Collect the permit")
    # an item with an English name but no English materials: the materials stay Chinese
    assert items["HJ02"]["name"] == "Certificate of residence"
    assert items["HJ02"]["materials"][0].startswith("居民身份证")
    chinese = {i["code"]: i for i in client.get("/api/v1/service-items",
                                                headers=wang).get_json()}["HJ01"]
    assert (chinese["name"], chinese["language"]) == ("居住证办理", "zh")
