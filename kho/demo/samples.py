"""The demo archive: realistic Vietnamese results, signed by the test PKI, deposited through
the same services as real deposits (so the demo exercises the real pipeline).

Names, ID numbers and codes are invented; procedure codes follow the national database's
form but are examples. Dates are relative to today, so the demo's valid, expired, revoked
and superseded results stay so whenever it is run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kho.demo.documents import ResultDocument, render_pdf
from kho.demo.pki import TestPKI
from kho.services import Access, Services

__all__ = ["DEMO_AGENCY", "Sample", "build_demo", "samples"]

DEMO_AGENCY = "000.00.15.H62"


@dataclass(frozen=True)
class Sample:
    key: str
    metadata: dict[str, Any]
    document: ResultDocument
    signer: str = "agency"
    timestamp: bool = True
    revoke_reason: str | None = None
    supersedes: str | None = None  # the key of the sample this one replaces
    extra: dict[str, Any] = field(default_factory=dict)


def _dossier(agency: str, day: date, seq: int) -> str:
    return f"{agency}-{day:%y%m%d}-{seq:04d}"


def _d(day: date) -> str:
    return day.isoformat()


def samples(today: date) -> list[Sample]:
    """The demo's results, oldest first."""
    commune = DEMO_AGENCY  # UBND xã Tân Phong
    province = "000.00.00.H62"  # Sở Tư pháp / Sở Kế hoạch và Đầu tư
    out: list[Sample] = []

    def add(
        key: str,
        *,
        agency: str,
        days_ago: int,
        seq: int,
        procedure: tuple[str, str],
        result_type: str,
        subjects: list[tuple[str, str, str]],
        title: str,
        authority: str,
        facts: list[tuple[str, str]],
        valid_days: int | None = None,
        scope: str | None = None,
        **kwargs: Any,
    ) -> None:
        issued = today - timedelta(days=days_ago)
        dossier = _dossier(agency, issued, seq)
        meta: dict[str, Any] = {
            "issuer_code": agency,
            "result_code": f"{dossier}-KQ1",
            "dossier_code": dossier,
            "procedure_code": procedure[0],
            "procedure_name": procedure[1],
            "result_type": result_type,
            "subjects": [{"kind": k, "id": i, "name": n} for k, i, n in subjects],
            "issued_on": _d(issued),
            "source_system": "Hệ thống thông tin giải quyết TTHC tỉnh (demo)",
        }
        if valid_days is not None:
            meta["valid_until"] = _d(issued + timedelta(days=valid_days))
        if scope:
            meta["validity_scope"] = scope
        doc = ResultDocument(
            authority=authority,
            title=title,
            notation=f"Số: {seq}/{issued.year}",
            facts=facts,
            place="Tân Phong",
            issued_on=issued,
            signer_title=kwargs.pop("signer_title", "CHỦ TỊCH"),
            signer_name=kwargs.pop("signer_name", "Hoàng Văn Thắng"),
            body=kwargs.pop("body", ""),
        )
        out.append(Sample(key=key, metadata=meta, document=doc, **kwargs))

    ubnd_xa = "ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG"
    duc = ("citizen", "001203001234", "Trần Văn Đức")
    nhung = ("citizen", "012324006789", "Nguyễn Thị Hồng Nhung")
    tuan = ("citizen", "079085004321", "Lê Minh Tuấn")
    lan = ("citizen", "079188001122", "Phạm Thị Lan")
    company = ("enterprise", "0101234565", "Công ty TNHH Thương mại Sông Hồng")

    add(
        "birth-nhung",
        agency=commune,
        days_ago=790,
        seq=12,
        procedure=("1.001193", "Thủ tục đăng ký khai sinh"),
        result_type="Giấy khai sinh",
        subjects=[nhung],
        title="GIẤY KHAI SINH",
        authority=ubnd_xa,
        facts=[
            ("Họ, chữ đệm, tên", "NGUYỄN THỊ HỒNG NHUNG"),
            ("Ngày, tháng, năm sinh", "02/09/2024"),
            ("Giới tính", "Nữ"),
            ("Dân tộc / Quốc tịch", "Kinh / Việt Nam"),
            ("Nơi sinh", "Trạm y tế xã Tân Phong, tỉnh Lai Châu"),
            ("Số định danh cá nhân", nhung[1]),
            ("Họ, chữ đệm, tên người mẹ", "TRẦN THỊ MAI"),
            ("Họ, chữ đệm, tên người cha", "NGUYỄN VĂN HÙNG"),
        ],
        scope="Toàn quốc",
    )
    add(
        "marriage-status-duc-old",
        agency=commune,
        days_ago=260,
        seq=41,
        procedure=("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
        result_type="Giấy xác nhận tình trạng hôn nhân",
        subjects=[duc],
        title="GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        authority=ubnd_xa,
        facts=[
            ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"),
            ("Số định danh cá nhân", duc[1]),
            ("Tình trạng hôn nhân", "Hiện tại chưa đăng ký kết hôn với ai"),
            ("Mục đích sử dụng", "Để đăng ký kết hôn"),
        ],
        valid_days=180,
        scope="Sử dụng để đăng ký kết hôn",
    )
    add(
        "land-tuan-lan",
        agency="000.00.00.H79",
        days_ago=420,
        seq=305,
        procedure=(
            "1.012756",
            "Thủ tục đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận "
            "quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu",
        ),
        result_type="Giấy chứng nhận quyền sử dụng đất",
        subjects=[tuan, lan],
        title="GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT,\nQUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT",
        authority="SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG\nTHÀNH PHỐ HỒ CHÍ MINH",
        facts=[
            ("Người sử dụng đất", "Ông LÊ MINH TUẤN và bà PHẠM THỊ LAN"),
            ("Thửa đất số", "128, tờ bản đồ số 14"),
            ("Địa chỉ", "Phường Bình Thạnh, Thành phố Hồ Chí Minh"),
            ("Diện tích", "96,5 m²"),
            ("Mục đích sử dụng", "Đất ở tại đô thị"),
            ("Thời hạn sử dụng", "Lâu dài"),
        ],
        signer_title="GIÁM ĐỐC",
        signer_name="Võ Thị Thu Hà",
    )
    add(
        "business-household-tuan",
        agency="000.00.00.H79",
        days_ago=200,
        seq=1187,
        procedure=("2.000575", "Thủ tục đăng ký thành lập hộ kinh doanh"),
        result_type="Giấy chứng nhận đăng ký hộ kinh doanh",
        subjects=[tuan],
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        authority="ỦY BAN NHÂN DÂN\nPHƯỜNG BÌNH THẠNH",
        facts=[
            ("Tên hộ kinh doanh", "CỬA HÀNG TẠP HÓA MINH TUẤN"),
            ("Chủ hộ", "LÊ MINH TUẤN"),
            ("Số định danh cá nhân", tuan[1]),
            ("Ngành, nghề kinh doanh", "Bán lẻ lương thực, thực phẩm, đồ uống"),
            ("Vốn kinh doanh", "150.000.000 đồng"),
        ],
    )
    add(
        "enterprise-v1",
        agency=province,
        days_ago=600,
        seq=77,
        procedure=("2.001610", "Thủ tục đăng ký thành lập công ty TNHH hai thành viên trở lên"),
        result_type="Giấy chứng nhận đăng ký doanh nghiệp",
        subjects=[company],
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\nCÔNG TY TRÁCH NHIỆM HỮU HẠN",
        authority="SỞ TÀI CHÍNH\nTỈNH LAI CHÂU\nPHÒNG ĐĂNG KÝ KINH DOANH",
        facts=[
            ("Mã số doanh nghiệp", company[1]),
            ("Tên doanh nghiệp", "CÔNG TY TNHH THƯƠNG MẠI SÔNG HỒNG"),
            ("Đăng ký lần đầu", "ngày cấp trên giấy này"),
            ("Vốn điều lệ", "2.000.000.000 đồng"),
        ],
        signer_title="TRƯỞNG PHÒNG",
        signer_name="Đặng Quốc Khánh",
    )
    add(
        "enterprise-v2",
        agency=province,
        days_ago=90,
        seq=512,
        procedure=("2.001583", "Thủ tục đăng ký thay đổi nội dung đăng ký doanh nghiệp"),
        result_type="Giấy chứng nhận đăng ký doanh nghiệp",
        subjects=[company],
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\nCÔNG TY TRÁCH NHIỆM HỮU HẠN",
        authority="SỞ TÀI CHÍNH\nTỈNH LAI CHÂU\nPHÒNG ĐĂNG KÝ KINH DOANH",
        facts=[
            ("Mã số doanh nghiệp", company[1]),
            ("Tên doanh nghiệp", "CÔNG TY TNHH THƯƠNG MẠI SÔNG HỒNG"),
            ("Đăng ký thay đổi lần thứ", "1"),
            ("Vốn điều lệ", "5.000.000.000 đồng"),
        ],
        signer_title="TRƯỞNG PHÒNG",
        signer_name="Đặng Quốc Khánh",
        supersedes="enterprise-v1",
    )
    add(
        "judicial-record-duc",
        agency=province,
        days_ago=45,
        seq=903,
        procedure=("2.000488", "Thủ tục cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"),
        result_type="Phiếu lý lịch tư pháp",
        subjects=[duc],
        title="PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1",
        authority="SỞ TƯ PHÁP\nTỈNH LAI CHÂU",
        facts=[
            ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"),
            ("Số định danh cá nhân", duc[1]),
            ("Tình trạng án tích", "Không có án tích"),
            ("Thông tin về cấm đảm nhiệm chức vụ", "Không bị cấm"),
        ],
        valid_days=180,
        signer_title="GIÁM ĐỐC",
        signer_name="Phan Thị Thanh Hương",
    )
    add(
        "marriage-status-duc-revoked",
        agency=commune,
        days_ago=30,
        seq=188,
        procedure=("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
        result_type="Giấy xác nhận tình trạng hôn nhân",
        subjects=[duc],
        title="GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        authority=ubnd_xa,
        facts=[
            ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"),
            ("Số định danh cá nhân", duc[1]),
            ("Tình trạng hôn nhân", "Hiện tại chưa đăng ký kết hôn với ai"),
            ("Mục đích sử dụng", "Để mua bán nhà đất"),
        ],
        valid_days=180,
        revoke_reason="Cấp sai thông tin nơi cư trú; thu hồi theo Quyết định số 15/QĐ-UBND",
    )
    add(
        "marriage-status-duc-new",
        agency=commune,
        days_ago=10,
        seq=233,
        procedure=("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
        result_type="Giấy xác nhận tình trạng hôn nhân",
        subjects=[duc],
        title="GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        authority=ubnd_xa,
        facts=[
            ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"),
            ("Số định danh cá nhân", duc[1]),
            ("Tình trạng hôn nhân", "Hiện tại chưa đăng ký kết hôn với ai"),
            ("Mục đích sử dụng", "Để mua bán nhà đất"),
        ],
        valid_days=180,
    )
    add(
        "birth-extract-duc-untrusted",
        agency=commune,
        days_ago=5,
        seq=260,
        procedure=("1.004884", "Thủ tục cấp bản sao trích lục hộ tịch"),
        result_type="Trích lục khai sinh",
        subjects=[duc],
        title="TRÍCH LỤC KHAI SINH (BẢN SAO)",
        authority=ubnd_xa,
        facts=[
            ("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC"),
            ("Ngày, tháng, năm sinh", "15/03/2003"),
            ("Nơi sinh", "Bệnh viện Phụ sản Hà Nội"),
            ("Số định danh cá nhân", duc[1]),
        ],
        signer="untrusted",
        body="Bản sao này được ký bằng chứng thư số không thuộc chuỗi tin cậy đã cấu hình "
        "(dùng để minh họa kết quả xác thực INDETERMINATE).",
    )
    return out


def build_demo(
    services: Services,
    pki: TestPKI,
    work: Path,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, str]:
    """Deposit the demo's results (idempotently: the signed PDFs are kept in `work`, so a
    second run finds every result already archived). Returns sample key → record_id."""
    today = services.backends.today()
    access = Access.system()
    work.mkdir(parents=True, exist_ok=True)
    record_ids: dict[str, str] = {}
    items = samples(today)
    for i, sample in enumerate(items, 1):
        pdf_path = work / f"{sample.key}.pdf"
        if pdf_path.is_file():
            signed = pdf_path.read_bytes()
        else:
            signed = pki.sign_pdf(
                render_pdf(sample.document), sample.signer, timestamp=sample.timestamp
            )
            pdf_path.write_bytes(signed)
        metadata = dict(sample.metadata)
        if sample.supersedes:
            metadata["supersedes"] = record_ids[sample.supersedes]
        outcome = services.deposit.deposit(signed, pdf_path.name, metadata, access)
        record_id = outcome.record["record_id"]
        record_ids[sample.key] = record_id
        if sample.revoke_reason and outcome.record.get("status") != "revoked":
            services.lifecycle.revoke(record_id, sample.revoke_reason, access)
        if progress:
            progress(i, len(items))
    return record_ids
