"""The demo community, modelled on 晋阳社区, 晋阳街道, 武侯区, Chengdu."""
