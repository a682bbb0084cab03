"""Code lists of Appendix A. Templates and forms use the option *names*; the database keeps names too, except
where the §3.7 table stores a code (性别, 身份证件类型)."""

from __future__ import annotations

SEXES = {"1": "男", "2": "女"}
ID_DOC_TYPES = {  # A.3
    "1": "居民身份证",
    "6": "香港特区护照/身份证明",
    "7": "澳门特区护照/身份证明",
    "8": "台湾居民来往大陆通行证",
    "9": "境外永久居住证",
    "A": "护照",
    "Z": "其他",
}
OVERSEAS = (  # A.4
    "否 香港同胞 香港同胞亲属 澳门同胞 澳门同胞亲属 台湾同胞 台湾同胞亲属 华侨 侨眷 归侨 归侨子女 归国留学人员 "
    "非华裔中国人 外籍华裔人 外国人 其他"
).split()
ETHNICITIES = (  # A.5, full names
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 "
    "毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 其他 外国血统中国籍人士"
).split()
ETHNICITY_ALIASES = {"毛难族": "毛南族", "崩龙族": "德昂族"}
HEALTH = ["健康或良好", "一般或较弱", "有慢性病", "有生理缺陷", "残疾"]  # A.6
HUKOU_TYPES = ["农业户口", "非农业户口"]  # A.7
ENTRY_METHODS = ["就近入学", "其他", "统一招生考试/普通入学", "体育特招", "艺术特招"]  # A.8
ATTENDANCE = ["走读", "住校"]
STUDENT_SOURCES = ["正常入学", "借读", "其他"]  # A.9
POLITICAL = ["群众", "少先队员", "共青团员"]
PLACEMENTS = ["非随班就读", "视力残疾随班就读", "听力残疾随班就读", "智力残疾随班就读", "其他残疾随班就读"]  # A.10
DISABILITIES = [
    "无残疾",
    "视力残疾",
    "听力残疾",
    "言语残疾",
    "肢体残疾",
    "智力残疾",
    "精神残疾",
    "多重残疾",
    "其他残疾",
]
COMMUTE = [  # A.11
    "步行",
    "自行车（含摩托车、电动自行车）",
    "公共交通（含城市公交、农村客运、地铁）",
    "家长自行接送",
    "校车",
    "其他",
]
RELATIONS = ["父亲", "母亲", "祖父母或外祖父母", "兄弟姐妹", "其他"]  # A.12
LEFT_BEHIND = ["非留守儿童", "单亲留守儿童", "双亲留守儿童"]  # A.13
YES_NO = ["是", "否"]
SCHOOL_CATEGORIES_IN_SCOPE = {"21", "31", "34", "37", "51"}  # A.1
BUSINESS_TYPES = ["新生注册", "在校生注册"]

# The tables by name with their Chinese titles, for the diagram editor's choice lists and designed forms' choice
# fields; a condition compares with what the record stores (codes for 性别 and 身份证件类型, names elsewhere).
TABLES: dict[str, tuple[str, dict[str, str] | list[str]]] = {
    "sex": ("性别", SEXES),
    "id_doc_type": ("身份证件类型", ID_DOC_TYPES),
    "overseas": ("港澳台侨外", OVERSEAS),
    "ethnicity": ("民族", ETHNICITIES),
    "health": ("健康状况", HEALTH),
    "hukou_type": ("户口性质", HUKOU_TYPES),
    "entry_method": ("入学方式", ENTRY_METHODS),
    "attendance": ("就读方式", ATTENDANCE),
    "student_source": ("学生来源", STUDENT_SOURCES),
    "political": ("政治面貌", POLITICAL),
    "placement": ("随班就读", PLACEMENTS),
    "disability": ("残疾类型", DISABILITIES),
    "commute": ("上下学方式", COMMUTE),
    "relation": ("家庭成员关系", RELATIONS),
    "left_behind": ("留守儿童", LEFT_BEHIND),
    "yes_no": ("是否", YES_NO),
    "business_type": ("注册类型", BUSINESS_TYPES),
}
