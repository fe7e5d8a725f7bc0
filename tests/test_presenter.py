"""会议模式 and 通报 pages through Streamlit's AppTest on the shipped sample data (as of 2021-12-31),
and the annotated workbook and meeting pack offered on the upload and ranking pages."""
from __future__ import annotations

import io

import docx
import openpyxl

from core.bulletin import text_bytes

from tests.test_app import BAD_EXAMPLE, app, downloads, file_bytes, sample_db, visit  # noqa: F401  (fixtures)

SLIDE, AUTO, LAST_TURN = "presenter_slide", "presenter_auto", "presenter_last_turn"
TOWNS_BY_RANK = ["松龄路街道", "钟楼街道", "般阳路街道", "龙泉镇", "罗村镇", "双杨镇", "寨里镇", "洪山镇", "昆仑镇",
                 "岭子镇", "将军路街道", "西河镇", "太河镇"]


def shown(at) -> str:
    """The HTML the slide drew, as one string."""
    return "\n".join(element.proto.body for element in at.get("html"))


def slide_title(at) -> str:
    text = shown(at)
    start = text.index('<h1 class="rp-title">') + len('<h1 class="rp-title">')
    return text[start:text.index("</h1>", start)]


def test_presenter_opens_on_the_district_overview(app):
    visit(app, "pages/presenter.py")
    assert app.session_state[SLIDE] == 0
    assert slide_title(app) == "淄川区红色物业建设推进情况"
    body = shown(app)
    assert "95.1%" in body and "还需成立2个环物委" in body and "✖ 滞后" in body  # EPMC coverage 39/41 vs 100%
    assert "72.5%" in body and "✔ 已达标" in body  # party coverage 58/80 vs 70%
    assert "display: none" in body  # no sidebar on this page
    assert [b.label for b in app.download_button] == ["会议材料"]


def test_next_and_previous_turn_the_slides(app):
    visit(app, "pages/presenter.py")
    app.button(key="presenter_next").click().run()
    assert not app.exception and app.session_state[SLIDE] == 1 and slide_title(app) == "考核排名"
    assert shown(app).count("<tr") == 14  # header and 13 towns
    app.button(key="presenter_next").click().run()
    assert slide_title(app) == "未完成第三阶段目标的镇（街道）"
    assert "建立1个业委会党组织" in shown(app) and "西河镇" in shown(app)
    app.button(key="presenter_prev").click().run()
    app.button(key="presenter_prev").click().run()
    assert app.session_state[SLIDE] == 0
    app.button(key="presenter_prev").click().run()  # from the first slide back to the last
    assert slide_title(app) == "第13名 太河镇"


def test_every_slide_runs_and_the_towns_come_in_rank_order(app):
    visit(app, "pages/presenter.py")
    titles = []
    for _ in range(16):
        titles.append(slide_title(app))
        app.button(key="presenter_next").click().run()
        assert not app.exception, [e.value for e in app.exception]
    assert titles[3:] == [f"第{rank}名 {town}" for rank, town in enumerate(TOWNS_BY_RANK, start=1)]
    assert app.session_state[SLIDE] == 0  # after the last slide comes the first


def test_jump_to_a_slide(app):
    visit(app, "pages/presenter.py")
    app.selectbox(key=SLIDE).set_value(14).run()
    assert slide_title(app) == "第12名 西河镇"
    assert "还需成立1个环物委" in shown(app) and "考核加分 0 分" in shown(app)
    assert "再组建1个业委会即可加3分" in shown(app)


def test_auto_advance_turns_the_page_when_its_time_has_come(app):
    visit(app, "pages/presenter.py")
    app.toggle(key=AUTO).set_value(True).run()
    assert not app.exception and app.session_state[SLIDE] == 0  # switching it on does not turn the page
    app.session_state[LAST_TURN] = 0.0  # the interval has passed, as when the timer fires
    app.run()
    assert not app.exception and app.session_state[SLIDE] == 1
    app.run()  # too soon for the next turn
    assert app.session_state[SLIDE] == 1
    app.toggle(key=AUTO).set_value(False).run()
    app.session_state[LAST_TURN] = 0.0
    app.run()
    assert app.session_state[SLIDE] == 1  # off: the page stays


def test_bulletin_page_shows_the_text_for_editing_and_downloads_it(app, downloads):
    visit(app, "pages/bulletin.py")
    [area] = app.text_area
    assert area.value.startswith("关于全区红色物业建设工作推进情况的通报\n（截至2021年12月31日）\n")
    assert "全区共有住宅小区105个" in area.value
    labels = [b.label for b in app.download_button]
    assert labels == ["下载 Word 文档", "下载纯文本"]
    for index in range(len(labels)):
        app.download_button[index].click().run()
        assert not app.exception
    edited = area.value.replace("全区共有住宅小区105个", "全区共有住宅小区105个（含新交付小区）")
    app.text_area[0].input(edited).run()
    assert not app.exception and app.text_area[0].value == edited
    name = "淄川区红色物业建设推进情况通报_2021-12-31"
    assert file_bytes(downloads[f"{name}.txt"]) == text_bytes(edited)  # the edited text is what downloads
    document = docx.Document(io.BytesIO(file_bytes(downloads[f"{name}.docx"])))
    assert "全区共有住宅小区105个（含新交付小区）" in "\n".join(p.text for p in document.paragraphs)
    restore = app.button(key="bulletin_restore")
    restore.click().run()
    assert "（含新交付小区）" not in app.text_area[0].value


def test_bulletin_word_file_is_the_edited_text():
    from core.bulletin import bulletin_docx

    document = docx.Document(io.BytesIO(bulletin_docx("通报\n\n各镇（街道）：\n　　改过的一段。\n")))
    assert [p.text for p in document.paragraphs if p.text] == ["通报", "各镇（街道）：", "改过的一段。"]


def test_upload_page_offers_the_annotated_workbook_of_a_bad_upload(app):
    visit(app, "pages/upload.py")
    app.file_uploader[0].upload(BAD_EXAMPLE.name, BAD_EXAMPLE.read_bytes())
    app.run()
    assert not app.exception
    [button] = [b for b in app.download_button if b.key.startswith("download_annotated_")]
    assert button.label == "下载标注版工作簿（问题单元格已标出并加批注）"
    button.click().run()
    assert not app.exception


def test_a_large_bad_upload_gets_its_annotated_workbook_on_request(app):
    """A city-sized file (over 1 MB) is not marked up unasked: that takes openpyxl seconds."""
    from tests.hostile import big_ledger

    data = big_ledger(25_000, town="不存在镇")  # 1.1 MB; the town in 基本信息 is an error
    visit(app, "pages/upload.py")
    app.file_uploader[0].upload("大台账.xlsx", data)
    app.run()
    assert not app.exception and "不是本区的镇" in app.dataframe[0].value["说明"].str.cat()
    assert not [b for b in app.download_button if b.key.startswith("download_annotated_")]
    [ask] = [b for b in app.button if b.key.startswith("annotate_")]
    ask.click().run()
    assert not app.exception
    [button] = [b for b in app.download_button if b.key.startswith("download_annotated_")]
    assert button.label == "下载标注版工作簿（问题单元格已标出并加批注）"


def test_ranking_page_offers_the_meeting_pack(app, downloads):
    visit(app, "pages/ranking.py")
    button = app.download_button(key="download_pack")
    assert button.label == "下载推进会材料（Excel）"
    button.click().run()
    assert not app.exception
    [pack] = [data for name, data in downloads.items() if name == "淄川区红色物业推进会议材料_2021-12-31.xlsx"]
    workbook = openpyxl.load_workbook(io.BytesIO(file_bytes(pack)))
    assert len(workbook.sheetnames) == 6


def test_presenter_builds_the_meeting_pack_when_clicked(app, downloads):
    visit(app, "pages/presenter.py")
    [pack] = [data for name, data in downloads.items() if name.endswith(".xlsx")]
    assert callable(pack)  # nothing is built while the slides are shown
    assert len(openpyxl.load_workbook(io.BytesIO(file_bytes(pack))).sheetnames) == 6
