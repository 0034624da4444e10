from enum import StrEnum


class VoiceIdEn(StrEnum):
    AI_CHENJIAHAO_712 = "ai_chenjiahao_712"
    AI_HUANGYAOSHI_712 = "ai_huangyaoshi_712"
    AI_HUANGZHONG_712 = "ai_huangzhong_712"
    AI_KAIYA = "ai_kaiya"
    AI_LAOGUOWANG_712 = "ai_laoguowang_712"
    AI_SHATANG = "ai_shatang"
    AOT = "AOT"
    CALM_STORY1 = "calm_story1"
    CARTOON_BOY_07 = "cartoon-boy-07"
    CARTOON_GIRL_01 = "cartoon-girl-01"
    CHAT1_FEMALE_NEW_3 = "chat1_female_new-3"
    CHAT_0407_5_1 = "chat_0407_5-1"
    CHENGSHU_JIEJIE = "chengshu_jiejie"
    COMMERCIAL_LADY_EN_F_V1 = "commercial_lady_en_f-v1"
    GENSHIN_KIRARA = "genshin_kirara"
    GENSHIN_KLEE2 = "genshin_klee2"
    GENSHIN_VINDI2 = "genshin_vindi2"
    GIRLFRIEND_4_SPEECH02 = "girlfriend_4_speech02"
    HEAINAINAI_SPEECH02 = "heainainai_speech02"
    LAOPOPO_SPEECH02 = "laopopo_speech02"
    OVERSEA_MALE1 = "oversea_male1"
    PEPPAPIG_PLATFORM = "PeppaPig_platform"
    READER_EN_M_V1 = "reader_en_m-v1"
    UK_BOY1 = "uk_boy1"
    UK_MAN2 = "uk_man2"
    YOU_PINGJING = "you_pingjing"
    ZHINEN_XUESHENG = "zhinen_xuesheng"

    def __str__(self) -> str:
        return str(self.value)
