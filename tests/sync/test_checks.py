"""The value checks both configs share (sync/checks.py)."""

import pytest

from sync.checks import check_http_url, check_time_zone


@pytest.mark.parametrize("url", ["http://192.168.1.10:8731", "https://office.example.cn/yizhan/", "http://[::1]:8700",
                                 "http://office"])
def test_http_addresses_are_accepted_without_a_trailing_slash(url):
    assert check_http_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["ftp://office", "office.example.cn", "http://", "http://a b", "http://host:port",
                                 "javascript:alert(1)", "http://host:123456"])
def test_other_addresses_are_refused_with_the_value(url):
    with pytest.raises(ValueError, match="http:// or https://"):
        check_http_url(url)


def test_empty_is_allowed_only_where_optional():
    assert check_http_url("") == ""
    with pytest.raises(ValueError):
        check_http_url("", allow_empty=False)


def test_time_zones():
    assert check_time_zone("Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        check_time_zone("Mars/Olympus")
