"""Which shared tokens are worth showing as 共同关键词: domain terms only.

A reason line "共同关键词：完成、工艺、系统、day、m2" tells a reader nothing. A token shared by
a query and a posting is shown only when it is

- not a unit or a unit-like word (m², RH, day, 万元) and not a bare number;
- not one of the generic words postings of every field use (:data:`GENERIC`);
- rare enough in this corpus: present in at most :data:`MAX_SHARE` of the postings
  (once the corpus has :data:`MIN_DOCS` postings; smaller ones rely on the list alone).

The share is read from the BM25 index's idf, so no second count is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Protocol

from matching.units import parse_unit

__all__ = ["GENERIC", "MAX_SHARE", "MIN_DOCS", "domain_terms", "is_domain_term"]

MAX_SHARE = 0.25  # a term in more than a quarter of the postings is not what makes a match
MIN_DOCS = 20

# Words every kind of posting uses (what was done, how it is offered), whatever the field.
GENERIC = frozenset(
    """
    完成 工艺 建立 系统 支持 设计 数据 针对 适用 用于 服务 优化 平台 结合 验证 开展 适合
    分析 集成 配合 运行 处理 应用 评估 方法 技术 研究 开发 研发 实现 提高 提升 降低 改善
    要求 需要 需求 能力 问题 提供 进行 采用 基于 具有 可以 能够 方案 项目 成果 企业 合作
    产品 产线 生产 制造 工程 团队 效果 性能 指标 水平 国内 国际 领先 先进 已在 目前 现有
    传统 新型 关键 核心 相关 主要 重要 实际 稳定 可靠 快速 高效 自动 智能 结构 材料 设备
    测试 检测 控制 时间 成本 质量 标准 规模 条件 过程 流程 模块 单元 参数 模型
    推广 示范 试验 实验 样品 样机 中试 量产 导入 改造 升级 满足 达到 以上 以下 左右 不足
    费用 价格 周期 投资 预算 合同 交付 使用 工作 环境 方式 情况 目标 经验 明显 正常 配套 宽度
    高度 长度 大小 一致 相应 多种 各类 均匀 良好 显著 有效 常见 一般 部分 整体 全部
    """.split()
)
# Latin words that name units or test conditions rather than technology.
_UNIT_WORDS = frozenset({"day", "days", "rh", "pcs", "uph", "ppm", "ppb", "rpm", "wt", "vol"})
_NUMBERISH = re.compile(r"^[\d.,%+\-eE×x/~～]+$")
_SHORT_WITH_DIGIT = re.compile(r"^[a-z]{1,2}\d$", re.IGNORECASE)  # m2, m3, h2: units or noise
_QUANTITY = re.compile(r"^[\d.]+\D{1,4}$")  # "3天", "10ms": a number with its unit


class Rarity(Protocol):
    """What the filter needs from a corpus index (`matching.lexical.BM25Index` has it)."""

    def __len__(self) -> int: ...

    def idf(self, term: str) -> float: ...


def _idf_at_share(n: int, share: float) -> float:
    """The BM25 idf of a term present in `share` of `n` postings (same formula as the index)."""
    df = share * n
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def is_domain_term(token: str) -> bool:
    """True unless ``token`` is a unit, a number, a generic word or too short to mean much."""
    t = token.strip()
    if len(t) < 2 or _NUMBERISH.match(t) or _QUANTITY.match(t):
        return False
    low = t.lower()
    if low in _UNIT_WORDS or t in GENERIC or _SHORT_WITH_DIGIT.match(t):
        return False
    unit = parse_unit(t)
    return unit.dimension == "none" or unit.dimension.startswith("unit:")


def domain_terms(common: Iterable[str], corpus: Rarity | None = None) -> set[str]:
    """The domain terms among the tokens a query and a posting share."""
    terms = {t for t in common if is_domain_term(t)}
    if corpus is None or len(corpus) < MIN_DOCS:
        return terms
    floor = _idf_at_share(len(corpus), MAX_SHARE)
    return {t for t in terms if corpus.idf(t) >= floor}
