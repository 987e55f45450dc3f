"""Words on screen in Chinese (the default), Vietnamese and English: every label, every
verdict, every direction at every kind of site, and every :class:`~protocol.Reason`.

A test checks that each table has all three languages and that every reason code has
words, so a new reason cannot reach the officer as a bare code.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocol.reasons import Reason
from protocol.sites import SiteKind
from protocol.verdict import Direction, Outcome

LANGUAGES = ("zh", "vi", "en")
LANGUAGE_NAMES = {"zh": "中文", "vi": "Tiếng Việt", "en": "English"}

REASONS: dict[Reason, dict[str, str]] = {
    Reason.MALFORMED: {
        "zh": "二维码无法识别，不是有效的通行证",
        "vi": "Mã QR không đọc được, không phải giấy phép hợp lệ",
        "en": "Unreadable QR code: not a valid permit",
    },
    Reason.TOO_LARGE: {
        "zh": "二维码内容过长",
        "vi": "Nội dung mã QR quá dài",
        "en": "QR code content too long",
    },
    Reason.UNSUPPORTED_VERSION: {
        "zh": "通行证版本不受支持",
        "vi": "Phiên bản giấy phép không được hỗ trợ",
        "en": "Unsupported permit version",
    },
    Reason.UNKNOWN_KEY: {
        "zh": "签发密钥未知",
        "vi": "Khóa cấp phép không xác định",
        "en": "Unknown issuer key",
    },
    Reason.BAD_SIGNATURE: {
        "zh": "签名无效，可能是伪造证件",
        "vi": "Chữ ký không hợp lệ, có thể là giấy phép giả",
        "en": "Bad signature: possibly forged",
    },
    Reason.KEY_NOT_VALID: {
        "zh": "签发密钥对该证件无效",
        "vi": "Khóa cấp phép không có hiệu lực cho giấy phép này",
        "en": "Issuer key not valid for this permit",
    },
    Reason.KEY_OUT_OF_SCOPE: {
        "zh": "签发密钥无权签发这些区域",
        "vi": "Khóa cấp phép không có thẩm quyền cho các khu vực này",
        "en": "Issuer key not allowed for these zones",
    },
    Reason.NOT_YET_VALID: {
        "zh": "通行证尚未生效",
        "vi": "Giấy phép chưa có hiệu lực",
        "en": "Permit not yet valid",
    },
    Reason.EXPIRED: {
        "zh": "通行证已过期",
        "vi": "Giấy phép đã hết hạn",
        "en": "Permit expired",
    },
    Reason.HEALTH_CERT_LAPSED: {
        "zh": "健康证明已过期",
        "vi": "Giấy chứng nhận sức khỏe đã hết hạn",
        "en": "Health certificate lapsed",
    },
    Reason.INSURANCE_LAPSED: {
        "zh": "保险已过期",
        "vi": "Bảo hiểm đã hết hạn",
        "en": "Insurance lapsed",
    },
    Reason.REVOKED_PERMIT: {
        "zh": "通行证已被注销",
        "vi": "Giấy phép đã bị thu hồi",
        "en": "Permit revoked",
    },
    Reason.REVOKED_WORKER: {
        "zh": "该务工人员资格已被取消",
        "vi": "Người lao động đã bị thu hồi tư cách",
        "en": "Worker revoked",
    },
    Reason.REVOKED_EMPLOYER: {
        "zh": "用工单位资格已被注销",
        "vi": "Doanh nghiệp sử dụng lao động đã bị thu hồi giấy phép",
        "en": "Employer revoked",
    },
    Reason.USED_UP: {
        "zh": "一次出境有效，已出境使用",
        "vi": "Giấy phép xuất cảnh một lần đã được sử dụng",
        "en": "Single-exit permit already used",
    },
    Reason.ZONE_NOT_PERMITTED: {
        "zh": "不在许可区域内",
        "vi": "Không thuộc khu vực được phép",
        "en": "Zone not permitted",
    },
    Reason.INLAND_NOT_PERMITTED: {
        "zh": "不允许前往内地",
        "vi": "Không được phép đi vào nội địa",
        "en": "Not permitted to go inland",
    },
    Reason.STALE_TRUST: {
        "zh": "核验数据已过时，请尽快同步",
        "vi": "Dữ liệu xác minh đã cũ, cần đồng bộ",
        "en": "Trust data is stale: sync soon",
    },
    Reason.LATE_EXIT: {
        "zh": "逾期出境",
        "vi": "Xuất cảnh quá hạn",
        "en": "Late exit (after the end date)",
    },
}

VERDICTS: dict[Outcome, dict[str, str]] = {
    Outcome.ALLOW: {"zh": "放行", "vi": "Cho qua", "en": "Allowed"},
    Outcome.DENY: {"zh": "拒绝", "vi": "Từ chối", "en": "Denied"},
    Outcome.ALERT: {"zh": "拒绝并告警", "vi": "Từ chối – báo động", "en": "Denied – alert"},
}

DIRECTIONS: dict[tuple[SiteKind, Direction], dict[str, str]] = {
    (SiteKind.BORDER_GATE, Direction.IN): {"zh": "入境", "vi": "Nhập cảnh", "en": "Enter China"},
    (SiteKind.BORDER_GATE, Direction.OUT): {"zh": "出境", "vi": "Xuất cảnh", "en": "Leave China"},
    (SiteKind.BORDER_GATE, Direction.CHECK): {"zh": "核查", "vi": "Kiểm tra", "en": "Check"},
    (SiteKind.PARK_GATE, Direction.IN): {"zh": "进园", "vi": "Vào khu", "en": "Enter park"},
    (SiteKind.PARK_GATE, Direction.OUT): {"zh": "出园", "vi": "Ra khu", "en": "Leave park"},
    (SiteKind.PARK_GATE, Direction.CHECK): {"zh": "点名", "vi": "Điểm danh", "en": "Roll call"},
    (SiteKind.CHECKPOINT, Direction.IN): {
        "zh": "前往内地",
        "vi": "Đi vào nội địa",
        "en": "Heading inland",
    },
    (SiteKind.CHECKPOINT, Direction.OUT): {
        "zh": "返回边境",
        "vi": "Quay về biên giới",
        "en": "Back towards the border",
    },
    (SiteKind.CHECKPOINT, Direction.CHECK): {"zh": "核查", "vi": "Kiểm tra", "en": "Check"},
}

LABELS: dict[str, dict[str, str]] = {
    "scan_title": {"zh": "通行证核验", "vi": "Kiểm tra giấy phép", "en": "Permit check"},
    "onsite_title": {"zh": "在场人员", "vi": "Người có mặt", "en": "On site"},
    "scan_prompt": {
        "zh": "请扫描通行证二维码",
        "vi": "Hãy quét mã QR của giấy phép",
        "en": "Scan the permit's QR code",
    },
    "camera": {"zh": "摄像头扫码", "vi": "Quét bằng máy ảnh", "en": "Camera"},
    "camera_stop": {"zh": "关闭摄像头", "vi": "Tắt máy ảnh", "en": "Stop camera"},
    "camera_error": {
        "zh": "无法打开摄像头",
        "vi": "Không mở được máy ảnh",
        "en": "Cannot open the camera",
    },
    "direction": {"zh": "方向", "vi": "Hướng", "en": "Direction"},
    "last_scans": {"zh": "最近扫描", "vi": "Lượt quét gần đây", "en": "Last scans"},
    "hub_reachable": {"zh": "中心已连接", "vi": "Đã kết nối trung tâm", "en": "Hub reachable"},
    "hub_unreachable": {
        "zh": "中心未连接",
        "vi": "Mất kết nối trung tâm",
        "en": "Hub unreachable",
    },
    "hub_none": {
        "zh": "未配置中心（独立运行）",
        "vi": "Chưa cấu hình trung tâm (chạy độc lập)",
        "en": "No hub configured (standalone)",
    },
    "events_waiting": {"zh": "待同步记录", "vi": "Bản ghi chờ đồng bộ", "en": "Events waiting"},
    "trust_age": {
        "zh": "核验数据：{age}前更新",
        "vi": "Dữ liệu xác minh: cập nhật {age} trước",
        "en": "Trust data: updated {age} ago",
    },
    "trust_never": {"zh": "无核验数据", "vi": "Chưa có dữ liệu xác minh", "en": "No trust data"},
    "clock_warning": {
        "zh": "本机时钟与中心偏差过大",
        "vi": "Đồng hồ máy lệch nhiều so với trung tâm",
        "en": "This clock is far off the hub's",
    },
    "name": {"zh": "姓名", "vi": "Họ tên", "en": "Name"},
    "employer": {"zh": "用工单位", "vi": "Doanh nghiệp", "en": "Employer"},
    "zones": {"zh": "许可区域", "vi": "Khu vực được phép", "en": "Zones"},
    "end_date": {"zh": "截止日期", "vi": "Ngày hết hạn", "en": "End date"},
    "permit_id": {"zh": "证件号", "vi": "Số giấy phép", "en": "Permit"},
    "not_verified": {
        "zh": "未经验证：以下为证件自称内容",
        "vi": "Chưa xác minh: thông tin do thẻ tự khai",
        "en": "Not verified: what the card claims",
    },
    "time": {"zh": "时间（北京时间）", "vi": "Giờ (giờ Bắc Kinh)", "en": "Time (Beijing)"},
    "verdict": {"zh": "结果", "vi": "Kết quả", "en": "Verdict"},
    "reasons": {"zh": "原因", "vi": "Lý do", "en": "Reasons"},
    "on_site": {"zh": "当前在场", "vi": "Đang có mặt", "en": "On site now"},
    "since": {"zh": "进场时间", "vi": "Có mặt từ", "en": "Since"},
    "last_seen": {"zh": "最后扫码", "vi": "Lần quét cuối", "en": "Last scan"},
    "missing": {
        "zh": "在境内但不在场",
        "vi": "Đang ở Trung Quốc nhưng không có mặt",
        "en": "In China but not on site",
    },
    "roll_call": {"zh": "点名扫码", "vi": "Quét điểm danh", "en": "Roll call scan"},
    "nobody": {"zh": "无", "vi": "Không có ai", "en": "Nobody"},
    "not_a_park": {
        "zh": "本站点不是园区大门",
        "vi": "Điểm này không phải cổng khu công nghiệp",
        "en": "This site is not a park gate",
    },
    "scan_page": {"zh": "扫码页面", "vi": "Trang quét", "en": "Scan page"},
    "login_title": {"zh": "登录", "vi": "Đăng nhập", "en": "Sign in"},
    "token": {"zh": "访问令牌", "vi": "Mã truy cập", "en": "Access token"},
    "sign_in": {"zh": "登录", "vi": "Đăng nhập", "en": "Sign in"},
    "bad_token": {"zh": "令牌错误", "vi": "Mã truy cập sai", "en": "Wrong token"},
    "dismiss": {"zh": "继续扫码", "vi": "Quét tiếp", "en": "Next scan"},
    "failed": {
        "zh": "未能记录，请重新扫码",
        "vi": "Chưa ghi được, hãy quét lại",
        "en": "Not logged: scan again",
    },
    "site": {"zh": "站点", "vi": "Điểm", "en": "Site"},
}


def pick_language(*choices: str | None, default: str = "zh") -> str:
    """The first of ``choices`` that is a supported language, else ``default``."""
    for choice in choices:
        if choice in LANGUAGES:
            return choice
    return default


def _pick(table: Mapping[str, str], lang: str) -> str:
    return table.get(lang) or table["en"]


def label(key: str, lang: str) -> str:
    return _pick(LABELS[key], lang)


def labels(lang: str) -> dict[str, str]:
    """Every label in one language (the pages hand these to their script)."""
    return {key: _pick(table, lang) for key, table in LABELS.items()}


def reason_text(reason: str, lang: str) -> str:
    """Words for a reason code; an unknown code (from a newer peer) is shown as is."""
    try:
        return _pick(REASONS[Reason(reason)], lang)
    except ValueError:
        return reason


def verdict_text(outcome: str, lang: str) -> str:
    return _pick(VERDICTS[Outcome(outcome)], lang)


def direction_text(kind: SiteKind, direction: str, lang: str) -> str:
    return _pick(DIRECTIONS[(kind, Direction(direction))], lang)
