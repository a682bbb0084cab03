"""The navigation menu: each entry names an endpoint, and a user sees it only when the view's own permission
(``access.requires``) lets them open it, so the menu and the routes can never disagree. A menu with nothing to
open is not shown."""

from __future__ import annotations

from dataclasses import dataclass

from models.user import User
from webapp.access import may_open


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: str
    testid: str = ""


@dataclass(frozen=True)
class Menu:
    label: str
    links: tuple[Link, ...]


NAV: tuple[Link | Menu, ...] = (
    Link("inbox.index", "待办任务"),
    Link("students.search", "学生查询"),
    Link("registration.index", "学籍注册", "nav-registration"),
    Link("registration.authority", "学籍注册核办", "nav-authority"),
    Link("transfers.index", "转学"),
    Link("cases.mine", "我发起的业务"),
    Link("jobs.index", "我的任务进度", "nav-jobs"),
    Menu(
        "学籍管理",
        (
            Link("registration.lookup", "全省学籍查询"),
            Link("registration.problems", "问题学籍"),
            Link("cases.deletions", "误操作删除"),
            Link("registration.g_numbers", "发放正式学籍号"),
            Link("admissions.unified", "统一招生录取", "nav-unified-admission"),
            Link("admissions.self_admission", "自主招生", "nav-self-admission"),
            Link("admissions.cross_province", "跨省招生", "nav-cross-province-admission"),
            Link("admissions.pull", "调取新生档案", "nav-archive-pull"),
            Link("admissions.classes", "学生分班", "nav-class-assignment"),
            Link("admissions.results", "招生结果管理", "nav-admission-results"),
            Link("admissions.review", "录取新生核办", "nav-admission-review"),
            Link("admissions.origin", "外地就读学生核办", "nav-origin-review"),
            Link("admissions.plans", "招生计划数", "nav-admission-plans"),
            Link("lifecycle.pending", "异动在办业务查询"),
            Link("lifecycle.status_changes", "异动查询"),
            Link("quality.index", "数据质量核查", "nav-quality"),
            Link("documents.index", "公文流转", "nav-documents"),
            Link("regional.index", "北京条件（学籍总量与特批）", "nav-regional"),
        ),
    ),
    Menu(
        "学校管理",
        (
            Link("terms.index", "学期学年设置", "nav-terms"),
            Link("term_registration.index", "入学注册与学期注册", "nav-term-registration"),
            Link("staged_intake.index", "学前调档与数据核对转入", "nav-staged-intake"),
            Link("school_classes.cohorts", "年级信息管理", "nav-cohorts"),
            Link("school_classes.classes", "班级信息管理", "nav-classes"),
            Link("prints.index", "学籍打印", "nav-prints"),
            Link("families.index", "家长核对", "nav-families"),
        ),
    ),
    Menu(
        "毕业升级与综合查询",
        (
            Link("lifecycle.graduation_classes", "学生毕业"),
            Link("lifecycle.graduates", "毕业生查询"),
            Link("lifecycle.rejected", "毕业生驳回查询"),
            Link("reports.index", "统计报表", "nav-reports"),
            Link("lifecycle.dropouts", "辍学统计"),
            Link("lifecycle.promotion_settings", "设置升级时间"),
        ),
    ),
    Menu(
        "系统设置",
        (
            Link("parameters.system", "基本系统设置", "nav-system-settings"),
            Link("parameters.controlled", "受控字段设置", "nav-controlled-fields"),
            Link("processes.index", "流程管理"),
            Link("lifecycle.change_types", "异动类型配置"),
            Link("transfer_settings.index", "转学设置", "nav-transfer-settings"),
            Link("registration.opening", "在校生注册开关"),
            Link("registration.photo_control", "照片采集控制"),
            Link("class_sizes.index", "班额配置", "nav-class-sizes"),
            Link("holidays.index", "节假日设置", "nav-holidays"),
        ),
    ),
    Menu(
        "系统管理",
        (
            Link("admin.users", "用户管理", "nav-users"),
            Link("admin.roles", "角色配置", "nav-roles"),
            Link("permissions.index", "角色权限配置", "nav-permissions"),
            Link("admin.orgs_index", "组织机构与学校", "nav-orgs"),
            Link("admin.org_import", "组织机构导入", "nav-org-import"),
            Link("feed.tokens", "数据交换令牌", "nav-api-tokens"),
            Link("seals.index", "电子印章", "nav-seals"),
            Link("school_changes.index", "学校合并、撤销", "nav-school-changes"),
            Link("federation.index", "跨省消息交换", "nav-federation"),
            Link("signin.policy", "登录安全策略", "nav-sign-in-policy"),
        ),
    ),
    Menu(
        "安全审计",
        (
            Link("access_log.by_user", "访问日志查询", "nav-access-log"),
            Link("access_log.verify", "日志完整性校验", "nav-log-verify"),
        ),
    ),
)


def menu_for(user: User) -> list[Link | Menu]:
    """The entries of NAV that ``user`` may open, menus keeping only such links and dropped when empty."""
    shown: list[Link | Menu] = []
    for entry in NAV:
        if isinstance(entry, Link):
            if may_open(user, entry.endpoint):
                shown.append(entry)
            continue
        links = tuple(link for link in entry.links if may_open(user, link.endpoint))
        if links:
            shown.append(Menu(entry.label, links))
    return shown


def links() -> list[Link]:
    """Every link of NAV, menus flattened."""
    return [link for entry in NAV for link in ((entry,) if isinstance(entry, Link) else entry.links)]
