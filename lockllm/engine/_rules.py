"""The shipped phrase rules: ``Rule`` records over the normalised (lower-case) view.

Each rule carries a category and a weight in ``(0, 1]``: roughly the probability that a
text matching it is an attack, before the learned model has a say. Weights were set by
hand from what the phrase means, then checked against the training data. Beside each
pattern sit its *cues*: literal strings one of which every match contains (a test checks
them against the pattern); a rule runs only on texts that hold one.

``RULES`` run on the view; ``SPACED_RULES`` on its letters alone (spaced-out and split
words: "i g n o r e", "ig-no-re"); the rules marked ``ciphers=True`` also on the ROT13 and
the reversal of the view. Patterns are linear-time by construction (``Rule`` rejects
unbounded or nested repetitions).
"""

from __future__ import annotations

from typing import Tuple

from ._rule import Rule

__all__ = ["CIPHER_RULES", "RULES", "SPACED_RULES"]


_GAP = r"[^.!?\n]{0,40}?"
_SHORT = r"[^.!?\n]{0,20}?"
_IGNORE = (
    r"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|discard|abandon|"
    r"dismiss|omit|throw out|set aside|pay no (?:attention|heed) to|"
    r"(?:do not|don'?t|never|stop) (?:follow(?:ing)?|obey(?:ing)?|heed(?:ing)?|listen(?:ing)? to)|"
    r"no longer (?:follow|obey))"
)
_BEFORE = (
    r"(?:previous|previously|prior|above|preceding|earlier|foregoing|former|original|initial|"
    r"old|existing|current|system|developer|default|given|your|these|those|all of the|"
    r"all the|all your|all previous|all prior|any previous|any prior|any and all|everything)"
)
_INSTRUCTIONS = (
    r"(?:instructions?|instrutions?|prompts?|directions?|directives?|guidelines?|rules?|"
    r"commands?|orders?|context|constraints?|restrictions?|programming|requests?|"
    r"polic(?:y|ies)|guardrails?|safeguards?|filters?|training|settings?|conditioning|"
    r"messages?|text|input|tasks?|limitations?|ethics|morals|principles|protocols?)"
)
_REVEAL = (
    r"(?:show|reveal|print|display|output|repeat|tell|give|share|leak|dump|write (?:out|down)|"
    r"spell out|translate|encode|list|provide|return|recite|expose|disclose|paste|copy|echo|"
    r"summari[sz]e|read back|send|explain|state)"
)
_SECRET_PROMPT = (
    r"(?:system ?prompts?|system messages?|system instructions?|system configuration|"
    r"(?:initial|original|starting|first|hidden|secret|internal|confidential|underlying|"
    r"base|pre-?)(?: system)? (?:prompts?|instructions?|directives?|configuration|rules)|"
    r"pre-?prompts?|initiali[sz]ation (?:string|prompt)|"
    r"your (?:instructions|prompts?|rules|guidelines|directives|programming|configuration|"
    r"commands|guidance)|instructions (?:you (?:were|have been|got)|given to you))"
)


# The verbs of "ignore your instructions"; every match of the rules built on ``_IGNORE``
# holds one of them (the single words at the start of a word).
_IGNORE_CUES = ("throw out", "set aside", "pay no")
_IGNORE_WORDS = ("ignor", "disregard", "forget", "skip", "bypass", "overrid", "overlook",
                 "neglect", "discard", "abandon", "dismiss", "omit", "follow", "obey", "heed",
                 "listen")  # fmt: skip

RULES: Tuple[Rule, ...] = (
    # --- instruction override (English) ---
    # Not a user's correction of their own words ("ignore the typos in my previous message").
    Rule("override.ignore_previous",
         rf"\b{_IGNORE}\b(?!{_SHORT}\b(?:my|typos?|mistakes?)\b)"
         rf"{_SHORT}\b{_BEFORE}\b{_SHORT}\b{_INSTRUCTIONS}\b",
         "instruction_override", 0.93,
         cues=_IGNORE_CUES,
         words=_IGNORE_WORDS,
         ciphers=True),
    Rule("override.ignore_all",
         rf"\b{_IGNORE} (?:all|any|every)(?: of)?(?: the| your| my)? (?:instructions|prompts|"
         r"directions|guidelines|directives|commands)\b",
         "instruction_override", 0.85,
         cues=_IGNORE_CUES,
         words=_IGNORE_WORDS,
         ciphers=True),
    # "Forget what I said about the budget" is a correction, not an attack.
    Rule("override.ignore_what",
         rf"\b{_IGNORE} (?:what|everything|anything|all) you(?:'ve| have been| were| had been) "
         r"(?:told|taught|instructed|programmed|asked)\b",
         "instruction_override", 0.85,
         cues=_IGNORE_CUES,
         words=_IGNORE_WORDS),
    Rule("override.ignore_user",
         rf"\b{_IGNORE} (?:the|any|all|this) (?:user|human|customer)(?:'s|s'|s)? (?:questions?|"
         r"requests?|query|queries|messages?|instructions?|tasks?|input|prompts?)\b",
         "instruction_override", 0.85,
         cues=_IGNORE_CUES,
         words=_IGNORE_WORDS),
    # Goal hijacking: drop the task at hand and do something else.
    Rule("override.hijack_task",
         rf"\b{_IGNORE} (?:the|this|that|your|any) (?:article|text|document|e-?mail|question|"
         r"task|request|passage|translation|summary|content|page|input|conversation)\b"
         r"[^.!?\n]{0,80}?\b(?:instead|and (?:just |only )?(?:write|say|print|output|reply|"
         r"respond|tell|answer))\b",
         "instruction_override", 0.8,
         cues=_IGNORE_CUES,
         words=_IGNORE_WORDS),
    Rule("override.instructions_void",
         rf"\b(?:previous|prior|above|earlier|old|original|all) {_INSTRUCTIONS} (?:are|were|is|"
         r"have been) (?:false|void|null|cancel{1,2}ed|revoked|obsolete|invalid|wrong|a lie|"
         r"fake|overridden|no longer (?:valid|apply|relevant))",
         "instruction_override", 0.85,
         cues=("a lie", "no longer"),
         words=("false", "void", "null", "cancel", "revoked", "obsolete", "invalid", "wrong",
                "fake", "overridden")),
    Rule("override.new_instructions",
         r"\b(?:new|updated|real|actual|true|different|additional|supplement(?:ary)?) "
         r"(?:instructions?|rules?|tasks?|directives?|orders?)(?: rule)?\s{0,16}(?::|follow|"
         r"override|supersede|replace|take precedence|are as follows)",
         "instruction_override", 0.7,
         words=("instruction", "rule", "task", "directive", "order")),
    Rule("override.override_previous",
         r"\b(?:override|overrides|supersede|supersedes|replace|replaces) (?:all |any )?"
         r"(?:previous|prior|earlier|your|the above|existing|system) ",
         "instruction_override", 0.8,
         words=("overrid", "supersede", "replace")),
    Rule("override.instead",
         r"\b(?:instead|rather),? (?:just )?(?:say|print|output|write|respond with|reply with)\b",
         "instruction_override", 0.55,
         words=("instead", "rather")),
    Rule("override.just_print",
         r"\b(?:just|only|simply) (?:say|print|output|reply with|respond with) [\"'“]",
         "instruction_override", 0.55,
         words=("just", "only", "simply")),
    Rule("override.stop_everything",
         r"\bstop (?:everything|what you are doing|processing|all (?:previous )?tasks)\b",
         "instruction_override", 0.7,
         words=("stop",)),
    Rule("override.different_task",
         r"\bnow (?:we will|you will|you must|let'?s) (?:perform|do|start) (?:a )?(?:different|new)"
         r" (?:task|job)",
         "instruction_override", 0.6,
         words=("now",)),
    Rule("override.end_marker",
         r"(?:={3}|-{3}|#{3}|\*{3})\s{0,16}(?:end|stop)(?: of)?(?: (?:prompt|instructions?|"
         r"system|input|context))?\b",
         "instruction_override", 0.5,
         cues=("===", "---", "###", "***")),
    Rule("override.fake_role_token",
         r"<\|(?:im_start|im_end|system|endoftext|start_header_id|eot_id)\|>|\[/?inst\]|"
         r"<</?sys>>|<\s{0,16}/?\s{0,16}system\s{0,16}>",
         "instruction_override", 0.75,
         cues=("<|", "inst]", "<<"),
         words=("system",)),
    Rule("override.from_now_on",
         r"\bfrom now on,? (?:you (?:are|will|must|shall|should)|ignore|always|never|only)\b",
         "instruction_override", 0.45,
         cues=("from now on",)),
    Rule("override.you_are_now",
         r"\byou are (?:now|no longer)\b(?! (?:ready|able|logged|connected|done|signed))",
         "instruction_override", 0.4,
         cues=("you are now", "you are no longer")),
    Rule("override.forget_everything",
         r"(?:^|[.!?:]\s{0,16}|\n\s{0,16})(?:now,? |please,? |just |so,? )?forget "
         r"(?:everything|all|anything) (?:you|that|about|above|before|previous)",
         "instruction_override", 0.8,
         words=("forget",)),
    Rule("override.not_required",
         r"\b(?:first|previous|original|initial) instructions? (?:is|are) (?:not required|"
         r"no longer|cancel)",
         "instruction_override", 0.6,
         words=("instruction",)),
    Rule("override.ethics_off",
         rf"\b{_IGNORE}{_SHORT}\b(?:ethical|moral|safety|content|openai|anthropic)"
         r" (?:guidelines|rules|policies|policy|restrictions|filters|principles|constraints)",
         "instruction_override", 0.7,
         words=("ethical", "moral", "safety", "content", "openai", "anthropic")),
    # --- instruction override (other languages) ---
    Rule("override.es",
         r"\b(?:ignora|ignore|ignorad|olvida|olvide|omite|descarta|haz caso omiso de|"
         r"no sigas)\b[^.\n]{0,30}?\b(?:instrucciones|indicaciones|órdenes|reglas|"
         r"directrices)\b",
         "instruction_override", 0.9,
         cues=("órdenes",),
         words=("instrucciones", "indicaciones", "reglas", "directrices")),
    # "... Ignore the above and just output: <text>" (goal hijacking), in several languages.
    Rule("override.ignore_above_output",
         r"\b(?:ignore|disregard|forget|skip)\b[^.!?\n]{0,40}?\b(?:above|previous|preceding|"
         r"this question|the question|that question)\b[^.!?\n]{0,30}?\b(?:and|then)\b"
         r"[^.!?\n]{0,20}?\b(?:output|print|say|repeat|write|reply|respond)\b",
         "instruction_override", 0.85,
         words=("ignor", "disregard", "forget", "skip")),
    Rule("override.ignore_above_output_fr",
         r"\b(?:ignore[zr]?|oublie[zr]?)\b[^.!?\n]{0,40}?(?:ci-dessus|précédente?s?|"
         r"cette question)[^.!?\n]{0,40}?\b(?:et|puis)\b[^.!?\n]{0,30}?\b(?:répét|affich|"
         r"écri|dites|sort|produi|imprim)\w{0,8}",
         "instruction_override", 0.85,
         words=("ignor", "oubli")),
    Rule("override.ignore_above_output_es",
         r"\b(?:ignor[ae]|olvid[ae])\w{0,4}\b[^.!?\n]{0,40}?\b(?:anterior(?:es)?|arriba|"
         r"esta pregunta)\b[^.!?\n]{0,40}?\b(?:y|luego)\b[^.!?\n]{0,30}?\b(?:repit|escrib|"
         r"muestr|imprim|emit|produc|respond|genera)\w{0,8}",
         "instruction_override", 0.85,
         words=("ignor", "olvid")),
    Rule("override.ignore_above_output_de",
         r"\b(?:ignorier|vergiss|überspring)\w{0,4}\b[^.!?\n]{0,40}?\b(?:obige\w{0,2}|"
         r"vorherige\w{0,2}|oben|diese frage)\b[^.!?\n]{0,40}?\b(?:und|dann)\b[^.!?\n]{0,30}?"
         r"\b(?:gib|gebe|schreib|wiederhol|sag|druck|antworte)\w{0,8}",
         "instruction_override", 0.85,
         cues=("überspring",),
         words=("ignorier", "vergiss")),
    Rule("override.ignore_above_output_ru",
         r"(?:игнорир|проигнорир|опустите|забуд)\w{0,6}[^.!?\n]{0,60}?(?:выше|предыдущ|"
         r"этот вопрос)[^.!?\n]{0,40}?(?:вывед|выпиш|напиш|повтор|скаж)\w{0,6}",
         "instruction_override", 0.85,
         cues=("игнорир", "проигнорир", "опустите", "забуд")),
    Rule("override.ignore_above_output_zh",
         r"(?:忽略|无视|不要理会|忽视)[^。！？\n]{0,20}?(?:以上|上面|上述|之前|前面|这个问题)"
         r"[^。！？\n]{0,20}?(?:输出|打印|重复|写出|回答)",
         "instruction_override", 0.85,
         cues=("忽略", "无视", "不要理会", "忽视")),
    Rule("override.ignore_above_output_ar",
         r"(?:تجاهل|تجاهلوا)[^.!?\n]{0,60}?(?:أعلاه|السابق)[^.!?\n]{0,40}?(?:أخرج|الإخراج|"
         r"اكتب|كرر|قل)",
         "instruction_override", 0.85,
         cues=("تجاهل",)),
    Rule("override.fr",
         r"\b(?:ignore[zs]?|oublie[zs]?|ne tiens pas compte d\S{0,30}|"
         r"ne tenez pas compte d\S{0,30}|ne suis pas|fais abstraction d\S{0,30})\s{1,16}"
         r"(?:toutes?\s{1,16})?(?:les|vos|tes|des|ces)\s{1,16}"
         r"(?:\w{1,30}\s{1,16})?(?:instructions|consignes|directives|règles)\b",
         "instruction_override", 0.9,
         cues=("règles",),
         words=("instructions", "consignes", "directives")),
    Rule("override.de",
         r"\b(?:ignorier\w{0,30}|vergiss|vergessen sie|missachte\w{0,30}|übergehe\w{0,30}|"
         r"befolge nicht)"
         r"\b[^.\n]{0,40}?(?:anweisung\w{0,30}|befehl\w{0,30}|vorgaben|regeln|instruktion\w{0,30}|"
         r"richtlinien|aufforderung\w{0,30})",
         "instruction_override", 0.9,
         cues=("übergehe",),
         words=("ignorier", "vergiss", "vergessen", "missachte", "befolge")),
    Rule("override.it",
         r"\b(?:ignora|ignorate|dimentica|dimenticate|trascura|non seguire)\b[^.\n]{0,30}?"
         r"\b(?:istruzioni|indicazioni|regole|direttive|comandi)\b",
         "instruction_override", 0.9,
         words=("istruzioni", "indicazioni", "regole", "direttive", "comandi")),
    Rule("override.pt",
         r"\b(?:ignore|ignora|esqueça|esqueca|desconsidere|despreze|não siga)\b[^.\n]{0,30}?"
         r"\b(?:instruções|instrucoes|orientações|regras|comandos|diretrizes)\b",
         "instruction_override", 0.9,
         cues=("instruções", "orientações"),
         words=("instrucoes", "regras", "comandos", "diretrizes")),
    Rule("override.ru",
         r"(?:игнорируй\w{0,30}|игнорировать|проигнорируй\w{0,30}|забудь\w{0,30}|"
         r"не обращай\w{0,30} внимани\w{0,30} на|отбрось\w{0,30}|не следуй\w{0,30})[^.\n]{0,40}?"
         r"(?:инструкци\w{0,30}|указани\w{0,30}|правил\w{0,30}|команд\w{0,30}|промпт\w{0,30}|"
         r"директив\w{0,30})",
         "instruction_override", 0.9,
         cues=("инструкци", "указани", "правил", "команд", "промпт", "директив")),
    Rule("override.zh",
         r"(?:忽略|无视|忽视|無視|不要理会|不要理會|忘记|忘記|忘掉|抛开|拋開|跳过)[^。\n]{0,16}?"
         r"(?:指令|指示|说明|說明|提示|规则|規則|命令|要求|设定|設定)",
         "instruction_override", 0.9,
         cues=("指令", "指示", "说明", "說明", "提示", "规则", "規則", "命令", "要求", "设定",
               "設定")),
    Rule("override.ja",
         r"(?:指示|命令|指令|ルール|プロンプト|設定)[^。\n]{0,8}?(?:を|は)?(?:すべて|全て)?"
         r"(?:無視|忘れ)",
         "instruction_override", 0.9,
         cues=("無視", "忘れ")),
    Rule("override.ko",
         r"(?:지시|명령|지침|규칙|프롬프트)[^.\n]{0,10}?(?:무시|잊어)",
         "instruction_override", 0.85,
         cues=("무시", "잊어")),
    # --- jailbreak ---
    Rule("jailbreak.dan",
         r"\bdo anything now\b|\bdan mode\b|\bdan ?\d{1,4}(?:\.\d)?\b",
         "jailbreak", 0.9,
         cues=("do anything now",),
         words=("dan",),
         ciphers=True),
    Rule("jailbreak.dev_mode",
         r"\b(?:developer|dev|debug|maintenance|admin) mode (?:enabled|activated|output|response)|"
         r"\b(?:god|jailbreak|unrestricted|unfiltered|evil|chaos|dude|dan|uncensored) mode\b|"
         r"\benable (?:god|jailbreak|unrestricted|unfiltered) mode\b",
         "jailbreak", 0.85,
         cues=(" mode",),
         ciphers=True),
    Rule("jailbreak.jailbroken",
         r"\bjailbr(?:oken|eak(?:ed|ing)?)\b",
         "jailbreak", 0.5,
         words=("jailbr",)),
    Rule("jailbreak.no_restrictions",
         r"\b(?:not|never|no longer) (?:be )?(?:bound|restricted|limited|constrained) by\b|"
         r"\b(?:free|freed|liberated|released) from (?:all |any |the )?(?:typical |usual )?"
         r"(?:restrictions|limitations|confines|rules|constraints|shackles|censorship)|"
         r"\b(?:without|has no|have no|with no|doesn'?t have|does not have|zero|ignore all) "
         r"(?:any )?(?:ethical |moral |content )?(?:restrictions|limitations|filters|filtering|"
         r"censorship|guidelines|morals|ethics|boundaries|limits|safeguards)\b",
         "jailbreak", 0.7,
         cues=("bound by", "restricted by", "limited by", "constrained by", "has no", "have no",
               "with no", "ignore all"),
         words=("from", "without", "have", "zero")),
    Rule("jailbreak.never_refuse",
         r"\b(?:never|cannot|can'?t|will not|won'?t|must not|mustn'?t|shall not|not allowed to) "
         r"(?:ever )?(?:refuse|decline|deny|say no|reject)\b|"
         r"\b(?:always|must) (?:answer|respond|comply|obey|provide)\b(?: to)?(?: any| every| all)?"
         r"[^.\n]{0,30}(?:no matter|regardless|without (?:question|hesitation|any warning))",
         "jailbreak", 0.75,
         cues=("say no",),
         words=("refuse", "decline", "deny", "reject", "always", "must")),
    Rule("jailbreak.regardless",
         r"\b(?:regardless of|no matter) (?:how |whether |if )?(?:it(?:'s| is) )?(?:immoral|"
         r"unethical|illegal|dangerous|harmful|offensive|inappropriate|explicit|legal)",
         "jailbreak", 0.75,
         cues=("no matter",),
         words=("regardless",)),
    Rule("jailbreak.amoral",
         r"\b(?:amoral|unethical|uncensored|unfiltered|unrestricted|evil|immoral)"
         r" (?:ai|chatbot|assistant|bot|model|persona|character|version)\b",
         "jailbreak", 0.6,
         words=("amoral", "unethical", "uncensored", "unfiltered", "unrestricted", "evil",
                "immoral")),
    # A persona or game wrapped around a request for a weapon, drug or malware recipe.
    Rule("jailbreak.persona_harm",
         r"\b(?:you are|you're|pretend|act as|play(?:ing)? the role|role-?play|imagine you|"
         r"let'?s play)[^\n]{0,200}?(?:steps|instructions|recipe|how|guide|tutorial) (?:to|for) "
         r"(?:make|making|build|building|synthesi[sz]e|synthesi[sz]ing|produce|producing|cook|"
         r"cooking|create|creating|manufacture|manufacturing) (?:a |an |some |homemade )?"
         r"(?:napalm|bombs?|explosives?|meth|methamphetamine|poisons?|nerve (?:agent|gas)|"
         r"weapons?|malware|virus|ransomware|drugs|thermite|ricin|sarin)\b",
         "jailbreak", 0.85,
         words=("you", "pretend", "act", "play", "role", "imagine", "let")),
    Rule("jailbreak.stay_in_character",
         r"\b(?:stay|remain|keep|stay fully) in character\b|\bbreak(?:ing)? character\b",
         "jailbreak", 0.55,
         words=("character",)),
    Rule("jailbreak.policy",
         r"\b(?:openai|anthropic|content|usage)(?:'s)? (?:content )?polic(?:y|ies)\b",
         "jailbreak", 0.5,
         words=("polic",)),
    Rule("jailbreak.dual_response",
         r"🔓|\[(?:🔒)?classic\]|\[(?:🔓)?jailbreak\]|"
         r"\b(?:two|2|both) (?:different )?(?:responses|answers|paragraphs)\b[^.\n]{0,60}"
         r"(?:one|first|normal)",
         "jailbreak", 0.7,
         cues=("🔓", "classic]", "jailbreak]", "2 "),
         words=("two", "both")),
    Rule("jailbreak.persona",
         r"\b(?:pretend|act|behave|roleplay|role-play|simulate|imagine) (?:to be |as |you are |"
         r"that you are |being )(?:an? )?[^.\n]{0,40}?(?:ai|chatbot|model|assistant|character|"
         r"persona|entity)\b[^.\n]{0,80}?(?:no|without|not bound|any|unrestricted|unfiltered)",
         "jailbreak", 0.45,
         cues=("role-play",),
         words=("pretend", "act", "behave", "roleplay", "simulate", "imagine")),
    Rule("jailbreak.fiction_harm",
         r"\b(?:hypothetical(?:ly)?|fictional|fiction|imaginary|story|novel|screenplay|roleplay|"
         r"role-play|game)\b[^\n]{0,120}?\b(?:how to|step[- ]by[- ]step|instructions for|recipe"
         r" for)\b[^\n]{0,60}?\b(?:make|build|synthesi[sz]e|cook|create|hack|steal|kill|"
         r"bomb|meth|weapon|explosive|poison|malware|virus)\b",
         "jailbreak", 0.55,
         cues=("role-play",),
         words=("hypothetical", "fiction", "imaginary", "story", "novel", "screenplay",
                "roleplay", "game")),
    Rule("jailbreak.as_ai_model",
         r"\bas an ai(?: language model)?,? (?:i|you) (?:cannot|can'?t|am not|don'?t)\b",
         "jailbreak", 0.35,
         cues=("as an ai",)),
    Rule("jailbreak.opposite",
         r"\b(?:opposite|anti|evil|dark|shadow|unchained|unlocked|unbound|rogue)"
         r"[- ]?(?:gpt|chatgpt|ai|claude|bard|bot)\b",
         "jailbreak", 0.5,
         words=("opposite", "anti", "evil", "dark", "shadow", "unchained", "unlocked", "unbound",
                "rogue")),
    Rule("jailbreak.chatgpt_persona",
         r"\b(?:chatgpt|gpt-?4|gpt-?3\.?5?|claude|bard|gemini|llama)\b[^.\n]{0,60}"
         r"\b(?:you are|you will|pretend|act as|persona|character|roleplay)\b",
         "jailbreak", 0.35,
         words=("chatgpt", "gpt", "claude", "bard", "gemini", "llama")),
    Rule("jailbreak.illegal_ok",
         r"\b(?:illegal|unethical|immoral|harmful)[^.\n]{0,40}\b(?:is|are) (?:allowed|"
         r"permitted|fine|acceptable|ok(?:ay)?|legal)\b",
         "jailbreak", 0.6,
         words=("illegal", "unethical", "immoral", "harmful")),
    # --- prompt extraction ---
    # Not the app's own "do not reveal these instructions".
    Rule("extract.reveal_prompt",
         rf"(?<!not )(?<!never )(?<!n't )\b{_REVEAL}\b"
         # ... not "paste it as your system prompt", "an analysis of the original prompt".
         r"(?![^.!?\n]{0,40}?\b(?:as|that|analysis|analy[sz]e|difference|between|checklist|"
         r"review(?:ing)?|writ(?:e|ing)|design(?:ing)?)\b)"
         rf"{_GAP}\b{_SECRET_PROMPT}",
         "prompt_extraction", 0.85,
         cues=("preprompt",),
         words=("prompt", "system", "instruction", "initiali", "your", "rules", "directive",
                "configuration", "guid", "programming", "command"),
         ciphers=True),
    Rule("extract.what_instructions",
         r"\bwhat (?:are|were|is) (?:your|the) (?:initial |original |first |hidden |secret |"
         r"exact |full )?(?:instructions|system prompt|prompt|rules|directives|guidelines)\b",
         "prompt_extraction", 0.75,
         words=("what",)),
    Rule("extract.told_before",
         r"\bwhat (?:were|have) you (?:been )?(?:told|instructed|programmed|given)\b|"
         r"\bwhat are you not (?:supposed|allowed|permitted) to (?:tell|say|reveal|share)\b",
         "prompt_extraction", 0.75,
         words=("what",)),
    Rule("extract.text_above",
         r"\b(?:repeat|print|output|show|display|copy|echo|write|return|translate|summari[sz]e)\b"
         r"[^.\n]{0,30}?\b(?:the |all the |all |everything |any )?(?:text|words|content|"
         r"everything|lines|conversation|messages|instructions)\b[^.\n]{0,12}?"
         r"\b(?:above|before this|so far|preceding|at the (?:beginning|start))\b"
         # ... but not "everything above the line in my essay": the user's own text.
         r"(?![^.\n]{0,30}?\b(?:in|of|from) (?:my|our|this|the attached) )",
         "prompt_extraction", 0.7,
         cues=("before this", "so far", "at the "),
         words=("above", "preceding")),
    Rule("extract.start_with",
         r"\b(?:begin|start|beginning|starting)(?: your (?:answer|response|reply))?(?: with)? "
         r"[\"'“‘](?:you are|my instructions|i was instructed|the system prompt)",
         "prompt_extraction", 0.55,
         cues=("you are", "my instructions", "i was instructed", "system prompt")),
    Rule("extract.sentence_stub",
         r"[\"'“‘](?:i was (?:instructed|told|programmed) to|my (?:instructions|system prompt|"
         r"rules) (?:are|is|were)|the system prompt is)",
         "prompt_extraction", 0.6,
         cues=("i was ", "my instructions", "my system prompt", "my rules", "the system prompt")),
    Rule("extract.system_prompt_word",
         r"\bsystem[ _]?prompt\b|\binitial instructions\b|\bsystem ?message\b",
         "prompt_extraction", 0.2,
         cues=("initial instructions",),
         words=("system",)),
    Rule("extract.secret",
         rf"\b{_REVEAL}\b{_GAP}\b(?:the |your )(?:secret (?:password|key|code|word)|"
         r"passwords?|api[ _-]?keys?|access tokens?|credentials)\b",
         "prompt_extraction", 0.6,
         words=("secret", "password", "api", "token", "credential")),
    Rule("extract.list_instructions",
         r"\b(?:instructions|commands|rules|prompts?|guidelines) you (?:have been|were|got) "
         r"(?:given|told|provided)|\b(?:initials?|first|starting) instructions\b",
         "prompt_extraction", 0.6,
         words=("instructions", "commands", "rules", "prompt", "guidelines")),
    # --- tool abuse ---
    Rule("tool.pipe_to_shell",
         r"\b(?:curl|wget)\s{1,40}[^\n|;]{1,200}\|\s{0,40}(?:sudo\s{1,40})?(?:ba|z)?sh\b",
         "tool_abuse", 0.8,
         words=("curl", "wget")),
    Rule("tool.shell_pipe",
         r"\brm\s{1,40}-rf\s{1,40}(?:/|~|\*|\$home)|\bchmod\s{1,40}\+x\s|\bnc\s{1,40}-e\b|"
         r"powershell\s{1,40}-(?:enc|e|encodedcommand)\b|\bmkfifo\b|/dev/tcp/",
         "tool_abuse", 0.75,
         cues=("/dev/tcp", "rm", "nc", "powershell"),
         words=("chmod", "mkfifo")),
    Rule("tool.secret_files",
         r"(?:/etc/passwd|/etc/shadow|\.ssh/id_rsa|id_rsa\b|\.aws/credentials|\.env\b|"
         r"os\.environ|process\.env)[^\n]{0,200}?(?:requests\.(?:post|get)|fetch\(|curl|wget|"
         r"urllib|http[s]?://)",
         "tool_abuse", 0.75,
         cues=("id_rsa", ".env"),
         words=("passwd", "shadow", "credentials", "environ")),
    Rule("tool.exfil_code",
         r"requests\.(?:post|get|put)\(\s{0,40}[\"']https?://|urllib\.request\.urlopen\(|"
         r"subprocess\.(?:call|run|popen|check_output)\(\s{0,40}\[\s{0,40}"
         r"[\"'](?:wget|curl|nc|bash|sh)\b|"
         r"exec\(\s{0,40}open\(|exec\(\s{0,40}requests\.get|"
         r"eval\(\s{0,40}(?:requests|urllib|base64)",
         "tool_abuse", 0.6, cues=("requests.", "urllib", "subprocess", "exec(", "eval(")),
    Rule("tool.insert_code",
         r"\b(?:following|this|below|these)\b (?:python |javascript |js |bash |shell )?(?:code|"
         r"snippet|code block|code snippet|code excerpt|script|lines of code|block of code)\b"
         r"[^\n]{0,80}?\b(?:your|the code you|the program you)\b[^\n]{0,20}?\b(?:code|solution|"
         r"implementation|codebase|program|answer|project|script|develop|response|output)",
         "tool_abuse", 0.5,
         words=("code", "snippet", "script", "block")),
    Rule("tool.destructive_code",
         r"\bdd if=/dev/(?:zero|random|urandom) of=/dev/|shutil\.rmtree\(\s{0,16}[\"']/|"
         r"os\.remove\(\s{0,16}[\"']/etc|:\(\)\s{0,16}\{\s{0,16}:\|:&\s{0,16}\};:|"
         r"mkfs\.\w{1,30} /dev/|"
         r"format c:|del /[fsq] |/etc/shadow|keylogger|pynput\.keyboard",
         "tool_abuse", 0.55,
         cues=("dd if", "rmtree", "os.remove", ":|:", "mkfs", "format c:", "del /",
               "/etc/shadow", "keylogger", "pynput")),
    Rule("tool.call_tool",
         r"\b(?:call|invoke|use|trigger|execute|run)\b (?:the |your )?[`\"']?[\w.]{1,60}[`\"']? "
         r"(?:tool|function|plugin|api|action)\b[^.\n]{0,60}\b(?:with|to send|to delete|to "
         r"transfer|to forward|to email|to post|to upload|and send|to execute)\b",
         "tool_abuse", 0.55,
         words=("tool", "function", "plugin", "api", "action")),
    Rule("tool.send_data",
         r"\b(?:send|forward|email|e-mail|upload|post|transfer|exfiltrate|leak|share|copy|"
         r"mail)\b[^.\n]{0,50}?\b(?:all|every|the|user'?s?|their|my|your|his|her|these|this)\b"
         r"[^.\n]{0,30}?\b(?:conversation|chat(?: history)?|messages|emails?|inbox|files|"
         r"documents|credentials|passwords?|contacts|data|api keys?|tokens?|history|secrets?|"
         r"personal information|credit card)\b[^.\n]{0,40}?\b(?:to|at)\b\s{0,16}"
         r"(?:https?://|[\w.+-]{1,64}@[\w-]{1,63}\.|this (?:address|url|server|email))",
         "tool_abuse", 0.7,
         cues=("@", "this address", "this url", "this server", "this email"),
         words=("http",),
         ciphers=True),
    Rule("tool.delete",
         r"\b(?:delete|remove|wipe|erase|drop|destroy)\b (?:all |every |the )?(?:user'?s? )?"
         r"(?:files|emails|messages|records|database|tables?|repositor(?:y|ies)|accounts?|"
         r"backups?)\b[^.\n]{0,40}\b(?:without|immediately|now|permanently|silently)\b",
         "tool_abuse", 0.6,
         words=("without", "immediately", "now", "permanently", "silently")),
    Rule("tool.run_command",
         r"\b(?:run|execute)\b (?:the following|this) (?:command|code|script|shell command|"
         r"payload)s?\b[^.\n]{0,30}(?:without|immediately|now|silently|on (?:the|your) "
         r"(?:server|machine|system|host))",
         "tool_abuse", 0.55,
         words=("run", "execute")),
    Rule("tool.silently",
         r"\b(?:without|don'?t|do not|never) (?:telling|informing|notifying|alerting|asking|"
         r"tell|inform|notify|alert|ask(?:ing)?) (?:the )?(?:user|them|anyone|him|her)\b",
         "tool_abuse", 0.5,
         cues=("do not",),
         words=("without", "don", "never")),
    # --- indirect injection ---
    Rule("indirect.ai_reading",
         r"\b(?:ai|assistant|chatbot|llm|language model|gpt|claude|copilot|bot|agent|model)s?"
         r",? (?:that is |who is |which is )?(?:reading|processing|summari[sz]ing|parsing|"
         r"analy[sz]ing|scanning|reviewing|that reads|who reads|browsing)\b(?: this| these| the)",
         "indirect_injection", 0.85,
         words=("reading", "processing", "summari", "parsing", "analy", "scanning", "reviewing",
                "reads", "browsing")),
    # A line or sentence of a document that starts by addressing the assistant.
    Rule("indirect.addressed_to_ai",
         r"(?:^|\n|[.!?|:] )[ \t\"'#*>-]{0,8}(?:hey |dear |attention |note for |note to )?(?:the )?"
         r"(?:ai|assistant|ai assistant|llm|chatbot|language model|ai model|ai agent|agent|gpt|"
         r"chatgpt)s?[ \t]{0,4}[,:][ \t]{0,4}(?:when|if|while|before|after|please|you must|"
         r"you should|you need|always|never|also|now|ignore|do not|don'?t|tell|say|add|include|"
         r"recommend|remember|make sure|from now)\b",
         "indirect_injection", 0.8,
         words=("ai", "assistant", "llm", "chatbot", "language", "agent", "gpt", "chatgpt")),
    Rule("indirect.note_to_ai",
         r"\b(?:note|message|instructions?|attention|important|notice|reminder|directive)"
         r",? (?:to|for) (?:the |any |all )?(?:ai|assistant|llm|language model|chatbot|"
         r"ai model|ai agent|agent|bot|summari[sz]er)s?\b",
         "indirect_injection", 0.8,
         cues=(" to ", " for ")),
    Rule("indirect.html_comment",
         r"<!--[^<>]{0,400}?\b(?:ignore|instructions?|assistant|ai|system|you must|you should|"
         r"do not|prompt|respond|reply|tell the user)\b",
         "indirect_injection", 0.75,
         cues=("<!--",)),
    Rule("indirect.role_marker",
         r"\[(?:system|admin|administrator|assistant|developer)(?: message| note| override|"
         r" instruction)?\]|(?:^|\n)\s{0,16}#{0,3}\s{0,16}(?:system|admin)\s{0,16}"
         r"(?:message|override|"
         r"instruction)?\s{0,16}:",
         "indirect_injection", 0.45,
         cues=("[",),
         words=("system", "admin")),
    Rule("indirect.when_summarizing",
         r"\b(?:when|if|while|once) (?:you|the ai|the assistant|the model|an ai) "
         r"(?:summari[sz]e|read|process|see|parse|analy[sz]e|encounter)s? (?:this|these|the)",
         "indirect_injection", 0.7,
         words=("summar", "read", "process", "see", "pars", "analy", "encounter")),
    Rule("indirect.your_response",
         r"\b(?:include|add|insert|append|mention|put|embed|integrate|incorporate|weave|inject)"
         r"\b[^.\n]{0,80}?\b(?:in|to|into|within|throughout|at the (?:end|start|beginning) of)"
         r" (?:your|the|each|every) (?:response|reply|answer|output|message|summary)",
         "indirect_injection", 0.6,
         words=("respon", "repl", "answer", "output", "message", "summar"),
         outside_document=0.3),
    Rule("indirect.modify_response",
         r"\b(?:your|the|each|every) (?:response|reply|answer|output|message)s?\b[^.\n]{0,40}"
         r"\b(?:must|should|shall|needs? to|has to|have to)\b|"
         r"\b(?:modify|alter|change|rewrite|format|end|begin|start|conclude|structure|encode|"
         r"translate|jumble|scramble|reverse|substitute|replace|enhance|enrich|augment|improve|"
         r"render|craft|present|deliver|phrase|express|frame|style|compose|close|finish|wrap|"
         r"sign|group|combine|split|spell|write)\b[^.\n]{0,40}?\b(?:your|each|"
         r"every) (?:response|reply|answer|output|message)s?\b",
         "indirect_injection", 0.55,
         words=("respon", "repl", "answer", "output", "message"),
         outside_document=0.2),
    # A sentence of a document that starts by telling the reader how to shape its reply.
    Rule("indirect.shape_your_reply",
         r"(?:^|[.!?:]\s{1,8}|\n\s{0,8})(?:please |now |also |always )?(?:enhance|render|write|"
         r"format|compose|end|begin|start|conclude|structure|encode|translate|rewrite|phrase|"
         r"craft|deliver|present|express|finish|open|close|sign) (?:your|each|every) (?:reply|"
         r"replies|response|responses|answer|answers|message|output|summary)\b",
         "indirect_injection", 0.8,
         words=("your", "each", "every"),
         outside_document=0.1),
    Rule("indirect.in_your_response",
         r"\b(?:in|to|throughout|within|into|of) (?:your|each|every) (?:responses?|reply|replies|"
         r"answers?|output|message)\b",
         "indirect_injection", 0.5,
         words=("your", "each", "every"),
         outside_document=0.15),
    Rule("indirect.do_not_tell",
         r"\b(?:do not|don'?t|never) (?:tell|mention|reveal|inform|show|disclose)"
         r"(?: this| these instructions| it)? to (?:the )?user\b",
         "indirect_injection", 0.55,
         words=("user",)),
    Rule("indirect.text_transform",
         r"(?:^|[.!?:]\s{0,16}|\n\s{0,16})(?:please |now |also )?"
         r"(?:replace|substitute|swap|reverse|"
         r"capitali[sz]e|group|combine|rearrange|jumble|shuffle|scramble|remove|insert|spell|"
         r"alternate|mix)\b[^.\n]{0,40}?\b(?:letters?|vowels?|consonants?|characters?|"
         r"every (?:other|second|third|fourth) (?:letter|word|character))\b",
         "indirect_injection", 0.5,
         cues=("every ",),
         words=("letter", "vowel", "consonant", "character"),
         outside_document=0.1),
    # --- data exfiltration ---
    Rule("exfil.md_image_query",
         r"!\[[^\]\n]{0,100}\]\(\s{0,16}https?://[^)\s?]{1,300}\?[^)\s]{0,300}=",
         "data_exfiltration", 0.6, cues=("](",)),
    Rule("exfil.url_placeholder",
         r"(?:!?\[[^\]\n]{0,100}\]\(|<img[^>]{0,100}src=[\"']?|(?<![\w/:.-])https?://)"
         r"[^()\[\]\s\"']{0,300}[?&]"
         r"[\w-]{1,30}=(?:\{[^}\n]{1,60}\}|\[[^\]\n]{1,60}\]|<[^>\n]{1,60}>|\$\{?\w{1,30}|%s\b|"
         r"\.\.\.|data\b|secret|password|summary|conversation|history|chat|message)",
         "data_exfiltration", 0.8, cues=("http", "<img", "](")),
    Rule("exfil.append_to_url",
         r"\b(?:append|add|include|concatenate|encode|put|insert|attach|place|embed|substitute)"
         r"\b[^.\n]{0,80}?\b(?:conversation|chat|history|messages?|data|previous|user'?s?|"
         r"secrets?|password|e-?mails?|summary|context|prompt|answers?|information|details|"
         r"name|address)\b[^.\n]{0,60}?\b(?:to|into|in|as)\b (?:the |this |a |each |that )?"
         r"(?:url|link|image|query|parameter|address|endpoint|query string|href|src)",
         "data_exfiltration", 0.85,
         words=("url", "link", "image", "query", "parameter", "address", "endpoint", "href",
                "src"),
         ciphers=True),
    Rule("exfil.render_image",
         r"\b(?:render|display|show|output|print)\b (?:this|the following|an?) (?:markdown )?"
         r"(?:image|img|picture|link)\b[^.\n]{0,80}(?:https?://|!\[)",
         "data_exfiltration", 0.45,
         cues=("http", "![")),
    Rule("exfil.visit_url",
         r"\b(?:visit|open|fetch|load|request|navigate to|browse to|call|ping|access)\b "
         r"(?:the )?(?:url|link|page|endpoint|site)?\s{0,16}"
         r"https?://[^\s?&]{1,300}[?&]\S{0,300}?=[^\s&=]{0,60}"
         r"(?:\{|\[|<|%s)",
         "data_exfiltration", 0.55,
         cues=("http",)),
    # --- obfuscation (explicit encode/decode instructions) ---
    Rule("obfuscation.decode_and_follow",
         r"\b(?:decode|decrypt|decipher|translate|convert|unscramble|reverse)\b[^.\n]{0,50}?"
         r"\b(?:base ?64|rot-?13|hex|binary|morse|cipher|caesar|encoded|reversed|backwards)\b"
         r"[^.\n]{0,60}?\b(?:and|then)\b[^.\n]{0,20}\b(?:follow|execute|do|obey|run|perform|"
         r"act on|carry out|comply)\b",
         "obfuscation", 0.75,
         words=("base", "rot", "hex", "binary", "morse", "cipher", "caesar", "encoded",
                "reversed", "backwards")),
    Rule("obfuscation.encoded_payload_hint",
         r"\b(?:the following|this) (?:is )?(?:base ?64|rot-?13|hex)(?:[- ]encoded)? "
         r"(?:instruction|command|message|text|prompt)s?\b",
         "obfuscation", 0.35,
         words=("base", "rot", "hex")),
)  # fmt: skip


# Patterns over the letters-only view: catch spaced-out and split words.
SPACED_RULES: Tuple[Rule, ...] = (
    Rule("compact.ignore_previous",
         r"(?:ignore|disregard|forget)(?:all|any|the|your|my){0,3}(?:previous|prior|above|"
         r"preceding|earlier|original|system)(?:instructions?|prompts?|directions?|rules|"
         r"guidelines|commands)",
         "instruction_override", 0.85,
         words=("ignore", "disregard", "forget")),
    Rule("compact.ignore_all_instr",
         r"(?:ignore|disregard|forget)(?:all|any)(?:the|your|of)?(?:instructions|prompts|rules|"
         r"directions|guidelines)",
         "instruction_override", 0.8,
         words=("ignore", "disregard", "forget")),
    Rule("compact.reveal",
         r"(?:reveal|print|show|repeat|output|display)(?:me)?(?:your|the)(?:system|initial|"
         r"original|hidden|secret)(?:prompt|instructions|message)",
         "prompt_extraction", 0.75,
         words=("reveal", "print", "show", "repeat", "output", "display")),
    Rule("compact.dan",
         r"doanythingnow|developermodeenabled|jailbreakmode",
         "jailbreak", 0.75,
         words=("doanythingnow", "developermodeenabled", "jailbreakmode")),
)  # fmt: skip


# The strong rules also looked for in the ROT13 and the reversal of the view.
CIPHER_RULES: Tuple[Rule, ...] = tuple(r for r in RULES if r.ciphers)
