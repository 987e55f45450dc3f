"""The words of the hub's pages: Chinese by default, English on request.

:data:`MESSAGES` maps a key to its (Chinese, English) text; add a key for every new
label (later pages: dashboard, alerts, timeline, reports). ``{name}`` placeholders are
filled by :meth:`Translator.__call__`. The permit card is always Chinese and
Vietnamese whatever the page language: its labels are in :data:`CARD_LABELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("zh", "en")
DEFAULT_LANG = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("东兴边民务工管理平台", "Borderpass hub"),
    "nav.home": ("首页", "Home"),
    "nav.employers": ("用工单位", "Employers"),
    "nav.permits": ("务工证", "Permits"),
    "nav.issue": ("签发务工证", "Issue a permit"),
    "nav.revocations": ("吊销记录", "Revocations"),
    "nav.expelled": ("清退公示", "Expelled list"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "home.title": ("概览", "Overview"),
    "home.welcome": ("已登录：{actor}（{role}）", "Logged in as {actor} ({role})"),
    "home.recent": ("最近签发的务工证", "Recently issued permits"),
    "role.admin": ("管理员", "administrator"),
    "role.issuer": ("人社局签发员", "HR issuer"),
    "role.police": ("公安", "police"),
    "role.employer": ("用工单位", "employer"),
    "employers.title": ("用工单位", "Employers"),
    "employers.add": ("登记用工单位", "Register an employer"),
    "employer.id": ("单位编号", "Employer id"),
    "employer.name_zh": ("单位名称（中文）", "Name (Chinese)"),
    "employer.name_vi": ("单位名称（越南文）", "Name (Vietnamese)"),
    "employer.hiring_permit_no": ("用工证编号", "Hiring permit no."),
    "employer.hiring_permit_valid_from": ("用工证生效日期", "Hiring permit valid from"),
    "employer.hiring_permit_valid_until": ("用工证有效期至", "Hiring permit valid until"),
    "employer.park_zone": ("所在园区", "Park"),
    "employer.agency_id": ("劳务机构编号（可选）", "Labour agency id (optional)"),
    "employer.revoke": ("清退该单位", "Expel this employer"),
    "permits.title": ("务工证", "Permits"),
    "permits.none": ("暂无务工证", "No permits yet"),
    "permits.search": ("按边境通行证号查找", "Find by border pass number"),
    "issue.title": ("签发务工证", "Issue a permit"),
    "issue.submit": ("签发", "Issue"),
    "permit.title": ("务工证 {permit_id}", "Permit {permit_id}"),
    "permit.id": ("证号", "Permit id"),
    "permit.worker": ("务工人员", "Worker"),
    "permit.employer": ("用工单位", "Employer"),
    "permit.zones": ("允许区域", "Permitted zones"),
    "permit.zone_reason": ("其他园区理由", "Reason for another park"),
    "permit.valid_from": ("生效日期", "Valid from"),
    "permit.valid_until": ("有效期至", "Valid until"),
    "permit.health_cert_until": ("健康证有效期至", "Health certificate until"),
    "permit.insurance_until": ("保险有效期至", "Insurance until"),
    "permit.end_date": ("最终截止日期", "End date"),
    "permit.issued_at": ("签发时间", "Issued at"),
    "permit.issued_by": ("签发人", "Issued by"),
    "permit.key_id": ("签发密钥", "Issuer key"),
    "permit.status": ("状态", "Status"),
    "permit.card": ("打印证卡", "Print the card"),
    "permit.download_png": ("下载二维码 PNG", "Download QR PNG"),
    "permit.download_svg": ("下载二维码 SVG", "Download QR SVG"),
    "permit.revoke": ("吊销该务工证", "Revoke this permit"),
    "status.valid": ("有效", "valid"),
    "status.revoked": ("已吊销", "revoked"),
    "worker.title": ("务工人员 {border_pass_no}", "Worker {border_pass_no}"),
    "worker.name": ("姓名（越南文）", "Name (Vietnamese)"),
    "worker.name_zh": ("中文姓名", "Name (Chinese)"),
    "worker.border_pass_no": ("边境通行证号", "Border pass no."),
    "worker.birth_date": ("出生日期", "Birth date"),
    "worker.sex": ("性别（F/M/X）", "Sex (F/M/X)"),
    "worker.permits": ("该人员的务工证", "This worker's permits"),
    "worker.revoke": ("清退该人员", "Expel this worker"),
    "revoke.reason": ("理由", "Reason"),
    "revoke.submit": ("确认", "Confirm"),
    "revocations.title": ("吊销与清退记录", "Revocations and expulsions"),
    "revocation.kind": ("类型", "Kind"),
    "revocation.subject": ("对象", "Subject"),
    "revocation.at": ("时间", "When"),
    "revocation.by": ("操作人", "By"),
    "revocation.reason": ("理由", "Reason"),
    "revocation.state": ("状态", "State"),
    "revocation.active": ("生效中", "in force"),
    "revocation.lifted": ("已恢复：{reason}", "lifted: {reason}"),
    "revocation.reinstate": ("恢复", "Reinstate"),
    "kind.permit": ("务工证", "permit"),
    "kind.worker": ("务工人员", "worker"),
    "kind.employer": ("用工单位", "employer"),
    "expelled.title": ("清退人员和单位公示", "Expelled workers and companies"),
    "expelled.intro": (
        "根据试点方案，违规的境外边民和用工单位予以清退并公示。",
        "As the pilot plan requires, workers and companies expelled for breaking the rules "
        "are published here.",
    ),
    "expelled.workers": ("清退人员", "Expelled workers"),
    "expelled.companies": ("清退单位", "Expelled companies"),
    "expelled.none": ("无", "None"),
    "error.title": ("无法完成", "Could not do that"),
    "error.back": ("返回", "Go back"),
    "form.optional": ("（可选）", "(optional)"),
    "form.zones_hint": ("每行或逗号分隔一个区域", "one zone per line or comma-separated"),
}

CARD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("境外边民入境务工证", "Giấy phép lao động nhập cảnh cho cư dân biên giới"),
    "name": ("姓名", "Họ tên"),
    "border_pass_no": ("通行证号", "Số giấy thông hành"),
    "birth_date": ("出生日期", "Ngày sinh"),
    "employer": ("用工单位", "Đơn vị sử dụng lao động"),
    "zones": ("允许区域", "Khu vực được phép"),
    "valid": ("有效期", "Thời hạn"),
    "permit_id": ("证号", "Số giấy phép"),
    "single_exit": ("一次出境有效", "Có giá trị cho một lần xuất cảnh"),
}


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str

    def __call__(self, key: str, **values: object) -> str:
        zh, en = MESSAGES.get(key, (key, key))
        text = en if self.lang == "en" else zh
        return text.format(**values) if values else text


def choose_lang(requested: str | None, default: str = DEFAULT_LANG) -> str:
    return requested if requested in LANGUAGES else default
