"""Phrase rules: weighted regular expressions over the normalised (lower-case) view.

Each rule carries a category and a weight in ``(0, 1)``: roughly the probability that a
text matching it is an attack, before the learned model has a say. Weights were set by
hand from what the phrase means, then checked against the training split only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import AbstractSet, FrozenSet, Iterator, List, Match, Optional, Pattern, Tuple

__all__ = ["Rule", "RULES", "COMPACT_RULES", "ROT13_RULES", "word_prefixes"]


_REACH = 800  # no rule matches more than this many characters


@dataclass(frozen=True)
class Rule:
    """One weighted pattern."""

    name: str
    category: str
    weight: float
    pattern: Pattern[str]
    cues: Tuple[str, ...] = ()  # substrings, one of which every match contains
    word_cues: FrozenSet[str] = frozenset()  # the same, as word prefixes (see PREFIX_LENGTHS)

    def finditer(
        self, view: str, prefixes: Optional[AbstractSet[str]] = None
    ) -> Iterator[Match[str]]:
        """Matches in ``view``; none at all when no cue occurs in it.

        ``prefixes`` (from ``word_prefixes(view)``) lets word cues be set look-ups instead of
        substring scans; without it every cue is searched as a substring.
        """
        if self.cues or self.word_cues:
            if prefixes is not None:
                found = not self.word_cues.isdisjoint(prefixes) or any(
                    cue in view for cue in self.cues
                )
            else:
                found = any(cue in view for cue in self.cues) or any(
                    cue in view for cue in self.word_cues
                )
            if not found:
                return iter(())
            if len(view) > 4 * _REACH:
                return self._near_cues(view)
        return self.pattern.finditer(view)

    def _near_cues(self, view: str) -> Iterator[Match[str]]:
        # Every match contains a cue and is shorter than _REACH, so scanning windows around
        # the cues finds the same matches as scanning the whole (long) text.
        windows: List[Tuple[int, int]] = []
        hop = _REACH // 4
        for cue in (*self.cues, *self.word_cues):
            i = view.find(cue)
            while i != -1:
                j = view.find(cue, i + 1)
                if j != -1 and j - i < hop:
                    # Dense occurrences: one window covers all those in [i, i + hop), so
                    # a text made of the cue costs a step per window, not per occurrence.
                    windows.append((max(0, i - _REACH), i + hop + len(cue) + _REACH))
                    j = view.find(cue, i + hop)
                else:
                    windows.append((max(0, i - _REACH), i + len(cue) + _REACH))
                i = j
        windows.sort()
        merged: List[Tuple[int, int]] = []
        for s, e in windows:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        for s, e in merged:
            yield from self.pattern.finditer(view, s, min(e, len(view)))


def _r(name: str, category: str, weight: float, regex: str) -> Rule:
    return Rule(name, category, weight, re.compile(regex, re.DOTALL))


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

RULES: Tuple[Rule, ...] = (
    # --- instruction override (English) ---
    _r("override.ignore_previous", "instruction_override", 0.93,
       rf"\b{_IGNORE}\b{_SHORT}\b{_BEFORE}\b{_SHORT}\b{_INSTRUCTIONS}\b"),
    _r("override.ignore_all", "instruction_override", 0.85,
       rf"\b{_IGNORE} (?:all|any|every)(?: of)?(?: the| your| my)? (?:instructions|prompts|"
       r"directions|guidelines|directives|commands)\b"),
    _r("override.ignore_what", "instruction_override", 0.85,
       rf"\b{_IGNORE} (?:what|everything|anything|all) (?:i|you|we) (?:said|told|wrote|"
       r"were told|have been told|asked)\b"),
    _r("override.instructions_void", "instruction_override", 0.85,
       rf"\b(?:previous|prior|above|earlier|old|original|all) {_INSTRUCTIONS} (?:are|were|is|"
       r"have been) (?:false|void|null|cancel{1,2}ed|revoked|obsolete|invalid|wrong|a lie|"
       r"fake|overridden|no longer (?:valid|apply|relevant))"),
    _r("override.new_instructions", "instruction_override", 0.7,
       r"\b(?:new|updated|real|actual|true|different|additional|supplement(?:ary)?) "
       r"(?:instructions?|rules?|tasks?|directives?|orders?)(?: rule)?\s{0,16}(?::|follow|"
       r"override|supersede|replace|take precedence|are as follows)"),
    _r("override.override_previous", "instruction_override", 0.8,
       r"\b(?:override|overrides|supersede|supersedes|replace|replaces) (?:all |any )?"
       r"(?:previous|prior|earlier|your|the above|existing|system) "),
    _r("override.instead", "instruction_override", 0.55,
       r"\b(?:instead|rather),? (?:just )?(?:say|print|output|write|respond with|reply with)\b"),
    _r("override.just_print", "instruction_override", 0.55,
       r"\b(?:just|only|simply) (?:say|print|output|reply with|respond with) [\"'“]"),
    _r("override.stop_everything", "instruction_override", 0.7,
       r"\bstop (?:everything|what you are doing|processing|all (?:previous )?tasks)\b"),
    _r("override.different_task", "instruction_override", 0.6,
       r"\bnow (?:we will|you will|you must|let'?s) (?:perform|do|start) (?:a )?(?:different|new)"
       r" (?:task|job)"),
    _r("override.end_marker", "instruction_override", 0.5,
       r"(?:={3}|-{3}|#{3}|\*{3})\s{0,16}(?:end|stop)(?: of)?(?: (?:prompt|instructions?|"
       r"system|input|context))?\b"),
    _r("override.fake_role_token", "instruction_override", 0.75,
       r"<\|(?:im_start|im_end|system|endoftext|start_header_id|eot_id)\|>|\[/?inst\]|"
       r"<</?sys>>|<\s{0,16}/?\s{0,16}system\s{0,16}>"),
    _r("override.from_now_on", "instruction_override", 0.45,
       r"\bfrom now on,? (?:you (?:are|will|must|shall|should)|ignore|always|never|only)\b"),
    _r("override.you_are_now", "instruction_override", 0.4,
       r"\byou are (?:now|no longer)\b(?! (?:ready|able|logged|connected|done|signed))"),
    _r("override.forget_everything", "instruction_override", 0.8,
       r"(?:^|[.!?:]\s{0,16}|\n\s{0,16})(?:now,? |please,? |just |so,? )?forget "
       r"(?:everything|all|anything) (?:you|that|about|above|before|previous)"),
    _r("override.not_required", "instruction_override", 0.6,
       r"\b(?:first|previous|original|initial) instructions? (?:is|are) (?:not required|"
       r"no longer|cancel)"),
    _r("override.ethics_off", "instruction_override", 0.7,
       rf"\b{_IGNORE}{_SHORT}\b(?:ethical|moral|safety|content|openai|anthropic)"
       r" (?:guidelines|rules|policies|policy|restrictions|filters|principles|constraints)"),
    # --- instruction override (other languages) ---
    _r("override.es", "instruction_override", 0.9,
       r"\b(?:ignora|ignore|ignorad|olvida|olvide|omite|descarta|haz caso omiso de|"
       r"no sigas)\b[^.\n]{0,30}?\b(?:instrucciones|indicaciones|órdenes|reglas|"
       r"directrices)\b"),
    _r("override.fr", "instruction_override", 0.9,
       r"\b(?:ignore[zs]?|oublie[zs]?|ne tiens pas compte d\S{0,30}|"
       r"ne tenez pas compte d\S{0,30}|ne suis pas|fais abstraction d\S{0,30})\s{1,16}"
       r"(?:toutes?\s{1,16})?(?:les|vos|tes|des|ces)\s{1,16}"
       r"(?:\w{1,30}\s{1,16})?(?:instructions|consignes|directives|règles)\b"),
    _r("override.de", "instruction_override", 0.9,
       r"\b(?:ignorier\w{0,30}|vergiss|vergessen sie|missachte\w{0,30}|übergehe\w{0,30}|"
       r"befolge nicht)"
       r"\b[^.\n]{0,40}?(?:anweisung\w{0,30}|befehl\w{0,30}|vorgaben|regeln|instruktion\w{0,30}|"
       r"richtlinien|aufforderung\w{0,30})"),
    _r("override.it", "instruction_override", 0.9,
       r"\b(?:ignora|ignorate|dimentica|dimenticate|trascura|non seguire)\b[^.\n]{0,30}?"
       r"\b(?:istruzioni|indicazioni|regole|direttive|comandi)\b"),
    _r("override.pt", "instruction_override", 0.9,
       r"\b(?:ignore|ignora|esqueça|esqueca|desconsidere|despreze|não siga)\b[^.\n]{0,30}?"
       r"\b(?:instruções|instrucoes|orientações|regras|comandos|diretrizes)\b"),
    _r("override.ru", "instruction_override", 0.9,
       r"(?:игнорируй\w{0,30}|игнорировать|проигнорируй\w{0,30}|забудь\w{0,30}|"
       r"не обращай\w{0,30} внимани\w{0,30} на|отбрось\w{0,30}|не следуй\w{0,30})[^.\n]{0,40}?"
       r"(?:инструкци\w{0,30}|указани\w{0,30}|правил\w{0,30}|команд\w{0,30}|промпт\w{0,30}|"
       r"директив\w{0,30})"),
    _r("override.zh", "instruction_override", 0.9,
       r"(?:忽略|无视|忽视|無視|不要理会|不要理會|忘记|忘記|忘掉|抛开|拋開|跳过)[^。\n]{0,16}?"
       r"(?:指令|指示|说明|說明|提示|规则|規則|命令|要求|设定|設定)"),
    _r("override.ja", "instruction_override", 0.9,
       r"(?:指示|命令|指令|ルール|プロンプト|設定)[^。\n]{0,8}?(?:を|は)?(?:すべて|全て)?"
       r"(?:無視|忘れ)"),
    _r("override.ko", "instruction_override", 0.85,
       r"(?:지시|명령|지침|규칙|프롬프트)[^.\n]{0,10}?(?:무시|잊어)"),
    # --- jailbreak ---
    _r("jailbreak.dan", "jailbreak", 0.9,
       r"\bdo anything now\b|\bdan mode\b|\bdan ?\d{1,4}(?:\.\d)?\b"),
    _r("jailbreak.dev_mode", "jailbreak", 0.85,
       r"\b(?:developer|dev|debug|maintenance|admin) mode (?:enabled|activated|output|response)|"
       r"\b(?:god|jailbreak|unrestricted|unfiltered|evil|chaos|dude|dan|uncensored) mode\b|"
       r"\benable (?:god|jailbreak|unrestricted|unfiltered) mode\b"),
    _r("jailbreak.jailbroken", "jailbreak", 0.5, r"\bjailbr(?:oken|eak(?:ed|ing)?)\b"),
    _r("jailbreak.no_restrictions", "jailbreak", 0.7,
       r"\b(?:not|never|no longer) (?:be )?(?:bound|restricted|limited|constrained) by\b|"
       r"\b(?:free|freed|liberated|released) from (?:all |any |the )?(?:typical |usual )?"
       r"(?:restrictions|limitations|confines|rules|constraints|shackles|censorship)|"
       r"\b(?:without|has no|have no|with no|doesn'?t have|does not have|zero|ignore all) "
       r"(?:any )?(?:ethical |moral |content )?(?:restrictions|limitations|filters|filtering|"
       r"censorship|guidelines|morals|ethics|boundaries|limits|safeguards)\b"),
    _r("jailbreak.never_refuse", "jailbreak", 0.75,
       r"\b(?:never|cannot|can'?t|will not|won'?t|must not|mustn'?t|shall not|not allowed to) "
       r"(?:ever )?(?:refuse|decline|deny|say no|reject)\b|"
       r"\b(?:always|must) (?:answer|respond|comply|obey|provide)\b(?: to)?(?: any| every| all)?"
       r"[^.\n]{0,30}(?:no matter|regardless|without (?:question|hesitation|any warning))"),
    _r("jailbreak.regardless", "jailbreak", 0.75,
       r"\b(?:regardless of|no matter) (?:how |whether |if )?(?:it(?:'s| is) )?(?:immoral|"
       r"unethical|illegal|dangerous|harmful|offensive|inappropriate|explicit|legal)"),
    _r("jailbreak.amoral", "jailbreak", 0.6,
       r"\b(?:amoral|unethical|uncensored|unfiltered|unrestricted|evil|immoral)"
       r" (?:ai|chatbot|assistant|bot|model|persona|character|version)\b"),
    _r("jailbreak.stay_in_character", "jailbreak", 0.55,
       r"\b(?:stay|remain|keep|stay fully) in character\b|\bbreak(?:ing)? character\b"),
    _r("jailbreak.policy", "jailbreak", 0.5,
       r"\b(?:openai|anthropic|content|usage)(?:'s)? (?:content )?polic(?:y|ies)\b"),
    _r("jailbreak.dual_response", "jailbreak", 0.7,
       r"🔓|\[(?:🔒)?classic\]|\[(?:🔓)?jailbreak\]|"
       r"\b(?:two|2|both) (?:different )?(?:responses|answers|paragraphs)\b[^.\n]{0,60}"
       r"(?:one|first|normal)"),
    _r("jailbreak.persona", "jailbreak", 0.45,
       r"\b(?:pretend|act|behave|roleplay|role-play|simulate|imagine) (?:to be |as |you are |"
       r"that you are |being )(?:an? )?[^.\n]{0,40}?(?:ai|chatbot|model|assistant|character|"
       r"persona|entity)\b[^.\n]{0,80}?(?:no|without|not bound|any|unrestricted|unfiltered)"),
    _r("jailbreak.fiction_harm", "jailbreak", 0.55,
       r"\b(?:hypothetical(?:ly)?|fictional|fiction|imaginary|story|novel|screenplay|roleplay|"
       r"role-play|game)\b[^\n]{0,120}?\b(?:how to|step[- ]by[- ]step|instructions for|recipe"
       r" for)\b[^\n]{0,60}?\b(?:make|build|synthesi[sz]e|cook|create|hack|steal|kill|"
       r"bomb|meth|weapon|explosive|poison|malware|virus)\b"),
    _r("jailbreak.as_ai_model", "jailbreak", 0.35,
       r"\bas an ai(?: language model)?,? (?:i|you) (?:cannot|can'?t|am not|don'?t)\b"),
    _r("jailbreak.opposite", "jailbreak", 0.5,
       r"\b(?:opposite|anti|evil|dark|shadow|unchained|unlocked|unbound|rogue)"
       r"[- ]?(?:gpt|chatgpt|ai|claude|bard|bot)\b"),
    _r("jailbreak.chatgpt_persona", "jailbreak", 0.35,
       r"\b(?:chatgpt|gpt-?4|gpt-?3\.?5?|claude|bard|gemini|llama)\b[^.\n]{0,60}"
       r"\b(?:you are|you will|pretend|act as|persona|character|roleplay)\b"),
    _r("jailbreak.illegal_ok", "jailbreak", 0.6,
       r"\b(?:illegal|unethical|immoral|harmful)[^.\n]{0,40}\b(?:is|are) (?:allowed|"
       r"permitted|fine|acceptable|ok(?:ay)?|legal)\b"),
    # --- prompt extraction ---
    _r("extract.reveal_prompt", "prompt_extraction", 0.85,
       rf"\b{_REVEAL}\b{_GAP}\b{_SECRET_PROMPT}"),
    _r("extract.what_instructions", "prompt_extraction", 0.75,
       r"\bwhat (?:are|were|is) (?:your|the) (?:initial |original |first |hidden |secret |"
       r"exact |full )?(?:instructions|system prompt|prompt|rules|directives|guidelines)\b"),
    _r("extract.told_before", "prompt_extraction", 0.75,
       r"\bwhat (?:were|have) you (?:been )?(?:told|instructed|programmed|given)\b|"
       r"\bwhat are you not (?:supposed|allowed|permitted) to (?:tell|say|reveal|share)\b"),
    _r("extract.text_above", "prompt_extraction", 0.7,
       r"\b(?:repeat|print|output|show|display|copy|echo|write|return|translate|summari[sz]e)\b"
       r"[^.\n]{0,30}?\b(?:the |all the |all |everything |any )?(?:text|words|content|"
       r"everything|lines|conversation|messages|instructions)\b[^.\n]{0,12}?"
       r"\b(?:above|before this|so far|preceding|at the (?:beginning|start))\b"),
    _r("extract.start_with", "prompt_extraction", 0.55,
       r"\b(?:begin|start|beginning|starting)(?: your (?:answer|response|reply))?(?: with)? "
       r"[\"'“‘](?:you are|my instructions|i was instructed|the system prompt)"),
    _r("extract.sentence_stub", "prompt_extraction", 0.6,
       r"[\"'“‘](?:i was (?:instructed|told|programmed) to|my (?:instructions|system prompt|"
       r"rules) (?:are|is|were)|the system prompt is)"),
    _r("extract.system_prompt_word", "prompt_extraction", 0.2,
       r"\bsystem[ _]?prompt\b|\binitial instructions\b|\bsystem ?message\b"),
    _r("extract.secret", "prompt_extraction", 0.6,
       rf"\b{_REVEAL}\b{_GAP}\b(?:the |your )(?:secret (?:password|key|code|word)|"
       r"passwords?|api[ _-]?keys?|access tokens?|credentials)\b"),
    _r("extract.list_instructions", "prompt_extraction", 0.6,
       r"\b(?:instructions|commands|rules|prompts?|guidelines) you (?:have been|were|got) "
       r"(?:given|told|provided)|\b(?:initials?|first|starting) instructions\b"),
    # --- tool abuse ---
    _r("tool.shell_pipe", "tool_abuse", 0.75,
       r"\b(?:curl|wget)\s{1,40}[^\n|;]{1,200}\|\s{0,40}(?:sudo\s{1,40})?(?:ba|z)?sh\b|"
       r"\brm\s{1,40}-rf\s{1,40}(?:/|~|\*|\$home)|\bchmod\s{1,40}\+x\s|\bnc\s{1,40}-e\b|"
       r"powershell\s{1,40}-(?:enc|e|encodedcommand)\b|\bmkfifo\b|/dev/tcp/"),
    _r("tool.secret_files", "tool_abuse", 0.75,
       r"(?:/etc/passwd|/etc/shadow|\.ssh/id_rsa|id_rsa\b|\.aws/credentials|\.env\b|"
       r"os\.environ|process\.env)[^\n]{0,200}?(?:requests\.(?:post|get)|fetch\(|curl|wget|"
       r"urllib|http[s]?://)"),
    _r("tool.exfil_code", "tool_abuse", 0.6,
       r"requests\.(?:post|get|put)\(\s{0,40}[\"']https?://|urllib\.request\.urlopen\(|"
       r"subprocess\.(?:call|run|popen|check_output)\(\s{0,40}\[\s{0,40}[\"'](?:wget|curl|nc|bash|sh)\b|"
       r"exec\(\s{0,40}open\(|exec\(\s{0,40}requests\.get|eval\(\s{0,40}(?:requests|urllib|base64)"),
    _r("tool.insert_code", "tool_abuse", 0.5,
       r"\b(?:following|this|below|these)\b (?:python |javascript |js |bash |shell )?(?:code|"
       r"snippet|code block|code snippet|code excerpt|script|lines of code|block of code)\b"
       r"[^\n]{0,80}?\b(?:your|the code you|the program you)\b[^\n]{0,20}?\b(?:code|solution|"
       r"implementation|codebase|program|answer|project|script|develop|response|output)"),
    _r("tool.destructive_code", "tool_abuse", 0.55,
       r"\bdd if=/dev/(?:zero|random|urandom) of=/dev/|shutil\.rmtree\(\s{0,16}[\"']/|"
       r"os\.remove\(\s{0,16}[\"']/etc|:\(\)\s{0,16}\{\s{0,16}:\|:&\s{0,16}\};:|"
       r"mkfs\.\w{1,30} /dev/|"
       r"format c:|del /[fsq] |/etc/shadow|keylogger|pynput\.keyboard"),
    _r("tool.call_tool", "tool_abuse", 0.55,
       r"\b(?:call|invoke|use|trigger|execute|run)\b (?:the |your )?[`\"']?[\w.]{1,60}[`\"']? "
       r"(?:tool|function|plugin|api|action)\b[^.\n]{0,60}\b(?:with|to send|to delete|to "
       r"transfer|to forward|to email|to post|to upload|and send|to execute)\b"),
    _r("tool.send_data", "tool_abuse", 0.7,
       r"\b(?:send|forward|email|e-mail|upload|post|transfer|exfiltrate|leak|share|copy|"
       r"mail)\b[^.\n]{0,50}?\b(?:all|every|the|user'?s?|their|my|your|his|her|these|this)\b"
       r"[^.\n]{0,30}?\b(?:conversation|chat(?: history)?|messages|emails?|inbox|files|"
       r"documents|credentials|passwords?|contacts|data|api keys?|tokens?|history|secrets?|"
       r"personal information|credit card)\b[^.\n]{0,40}?\b(?:to|at)\b\s{0,16}"
       r"(?:https?://|[\w.+-]{1,64}@[\w-]{1,63}\.|this (?:address|url|server|email))"),
    _r("tool.delete", "tool_abuse", 0.6,
       r"\b(?:delete|remove|wipe|erase|drop|destroy)\b (?:all |every |the )?(?:user'?s? )?"
       r"(?:files|emails|messages|records|database|tables?|repositor(?:y|ies)|accounts?|"
       r"backups?)\b[^.\n]{0,40}\b(?:without|immediately|now|permanently|silently)\b"),
    _r("tool.run_command", "tool_abuse", 0.55,
       r"\b(?:run|execute)\b (?:the following|this) (?:command|code|script|shell command|"
       r"payload)s?\b[^.\n]{0,30}(?:without|immediately|now|silently|on (?:the|your) "
       r"(?:server|machine|system|host))"),
    _r("tool.silently", "tool_abuse", 0.5,
       r"\b(?:without|don'?t|do not|never) (?:telling|informing|notifying|alerting|asking|"
       r"tell|inform|notify|alert|ask(?:ing)?) (?:the )?(?:user|them|anyone|him|her)\b"),
    # --- indirect injection ---
    _r("indirect.ai_reading", "indirect_injection", 0.85,
       r"\b(?:ai|assistant|chatbot|llm|language model|gpt|claude|copilot|bot|agent|model)s?"
       r",? (?:that is |who is |which is )?(?:reading|processing|summari[sz]ing|parsing|"
       r"analy[sz]ing|scanning|reviewing|that reads|who reads|browsing)\b(?: this| these| the)"),
    _r("indirect.note_to_ai", "indirect_injection", 0.8,
       r"\b(?:note|message|instructions?|attention|important|notice|reminder|directive)"
       r",? (?:to|for) (?:the |any |all )?(?:ai|assistant|llm|language model|chatbot|"
       r"ai model|ai agent|agent|bot|summari[sz]er)s?\b"),
    _r("indirect.html_comment", "indirect_injection", 0.75,
       r"<!--[^<>]{0,400}?\b(?:ignore|instructions?|assistant|ai|system|you must|you should|"
       r"do not|prompt|respond|reply|tell the user)\b"),
    _r("indirect.role_marker", "indirect_injection", 0.45,
       r"\[(?:system|admin|administrator|assistant|developer)(?: message| note| override|"
       r" instruction)?\]|(?:^|\n)\s{0,16}#{0,3}\s{0,16}(?:system|admin)\s{0,16}"
       r"(?:message|override|"
       r"instruction)?\s{0,16}:"),
    _r("indirect.when_summarizing", "indirect_injection", 0.7,
       r"\b(?:when|if|while|once) (?:you|the ai|the assistant|the model|an ai) "
       r"(?:summari[sz]e|read|process|see|parse|analy[sz]e|encounter)s? (?:this|these|the)"),
    _r("indirect.your_response", "indirect_injection", 0.6,
       r"\b(?:include|add|insert|append|mention|put|embed|integrate|incorporate|weave|inject)"
       r"\b[^.\n]{0,80}?\b(?:in|to|into|within|throughout|at the (?:end|start|beginning) of)"
       r" (?:your|the|each|every) (?:response|reply|answer|output|message|summary)"),
    _r("indirect.modify_response", "indirect_injection", 0.55,
       r"\b(?:your|the|each|every) (?:response|reply|answer|output|message)s?\b[^.\n]{0,40}"
       r"\b(?:must|should|shall|needs? to|has to|have to)\b|"
       r"\b(?:modify|alter|change|rewrite|format|end|begin|start|conclude|structure|encode|"
       r"translate|jumble|scramble|reverse|substitute|replace|enhance|enrich|augment|improve|"
       r"render|craft|present|deliver|phrase|express|frame|style|compose|close|finish|wrap|"
       r"sign|group|combine|split|spell|write)\b[^.\n]{0,40}?\b(?:your|each|"
       r"every) (?:response|reply|answer|output|message)s?\b"),
    _r("indirect.in_your_response", "indirect_injection", 0.5,
       r"\b(?:in|to|throughout|within|into|of) (?:your|each|every) (?:responses?|reply|replies|"
       r"answers?|output|message)\b"),
    _r("indirect.do_not_tell", "indirect_injection", 0.55,
       r"\b(?:do not|don'?t|never) (?:tell|mention|reveal|inform|show|disclose)"
       r"(?: this| these instructions| it)? to (?:the )?user\b"),
    _r("indirect.text_transform", "indirect_injection", 0.5,
       r"(?:^|[.!?:]\s{0,16}|\n\s{0,16})(?:please |now |also )?(?:replace|substitute|swap|reverse|"
       r"capitali[sz]e|group|combine|rearrange|jumble|shuffle|scramble|remove|insert|spell|"
       r"alternate|mix)\b[^.\n]{0,40}?\b(?:letters?|vowels?|consonants?|characters?|"
       r"every (?:other|second|third|fourth) (?:letter|word|character))\b"),
    # --- data exfiltration ---
    _r("exfil.md_image_query", "data_exfiltration", 0.6,
       r"!\[[^\]\n]{0,100}\]\(\s{0,16}https?://[^)\s?]{1,300}\?[^)\s]{0,300}="),
    _r("exfil.url_placeholder", "data_exfiltration", 0.8,
       r"(?:!?\[[^\]\n]{0,100}\]\(|<img[^>]{0,100}src=[\"']?|(?<![\w/:.-])https?://)"
       r"[^()\[\]\s\"']{0,300}[?&]"
       r"[\w-]{1,30}=(?:\{[^}\n]{1,60}\}|\[[^\]\n]{1,60}\]|<[^>\n]{1,60}>|\$\{?\w{1,30}|%s\b|"
       r"\.\.\.|data\b|secret|password|summary|conversation|history|chat|message)"),
    _r("exfil.append_to_url", "data_exfiltration", 0.85,
       r"\b(?:append|add|include|concatenate|encode|put|insert|attach|place|embed|substitute)"
       r"\b[^.\n]{0,80}?\b(?:conversation|chat|history|messages?|data|previous|user'?s?|"
       r"secrets?|password|e-?mails?|summary|context|prompt|answers?|information|details|"
       r"name|address)\b[^.\n]{0,60}?\b(?:to|into|in|as)\b (?:the |this |a |each |that )?"
       r"(?:url|link|image|query|parameter|address|endpoint|query string|href|src)"),
    _r("exfil.render_image", "data_exfiltration", 0.45,
       r"\b(?:render|display|show|output|print)\b (?:this|the following|an?) (?:markdown )?"
       r"(?:image|img|picture|link)\b[^.\n]{0,80}(?:https?://|!\[)"),
    _r("exfil.visit_url", "data_exfiltration", 0.55,
       r"\b(?:visit|open|fetch|load|request|navigate to|browse to|call|ping|access)\b "
       r"(?:the )?(?:url|link|page|endpoint|site)?\s{0,16}https?://[^\s?&]{1,300}[?&]\S{0,300}?=[^\s&=]{0,60}"
       r"(?:\{|\[|<|%s)"),
    # --- obfuscation (explicit encode/decode instructions) ---
    _r("obfuscation.decode_and_follow", "obfuscation", 0.75,
       r"\b(?:decode|decrypt|decipher|translate|convert|unscramble|reverse)\b[^.\n]{0,50}?"
       r"\b(?:base ?64|rot-?13|hex|binary|morse|cipher|caesar|encoded|reversed|backwards)\b"
       r"[^.\n]{0,60}?\b(?:and|then)\b[^.\n]{0,20}\b(?:follow|execute|do|obey|run|perform|"
       r"act on|carry out|comply)\b"),
    _r("obfuscation.encoded_payload_hint", "obfuscation", 0.35,
       r"\b(?:the following|this) (?:is )?(?:base ?64|rot-?13|hex)(?:[- ]encoded)? "
       r"(?:instruction|command|message|text|prompt)s?\b"),
)  # fmt: skip


# Patterns over the letters-only view: catch spaced-out and split words.
COMPACT_RULES: Tuple[Rule, ...] = (
    _r("compact.ignore_previous", "instruction_override", 0.85,
       r"(?:ignore|disregard|forget)(?:all|any|the|your|my){0,3}(?:previous|prior|above|"
       r"preceding|earlier|original|system)(?:instructions?|prompts?|directions?|rules|"
       r"guidelines|commands)"),
    _r("compact.ignore_all_instr", "instruction_override", 0.8,
       r"(?:ignore|disregard|forget)(?:all|any)(?:the|your|of)?(?:instructions|prompts|rules|"
       r"directions|guidelines)"),
    _r("compact.reveal", "prompt_extraction", 0.75,
       r"(?:reveal|print|show|repeat|output|display)(?:me)?(?:your|the)(?:system|initial|"
       r"original|hidden|secret)(?:prompt|instructions|message)"),
    _r("compact.dan", "jailbreak", 0.75, r"doanythingnow|developermodeenabled|jailbreakmode"),
)  # fmt: skip


# A small set of strong rules re-run on the ROT13 of the view (cheap: one translate call).
ROT13_RULES: Tuple[Rule, ...] = tuple(
    r
    for r in RULES
    if r.name
    in (
        "override.ignore_previous",
        "override.ignore_all",
        "extract.reveal_prompt",
        "jailbreak.dan",
        "jailbreak.dev_mode",
        "exfil.append_to_url",
        "tool.send_data",
    )
)


# Literal cues: a rule runs only when one of its cues occurs in the text (every match
# contains one). ``str.__contains__`` is some 30 times faster than a regex scan, so long
# benign documents skip most rules.
_CUES = {
    "override.ignore_previous": ("ignor", "disregard", "forget", "skip", "bypass", "overrid",
                                 "overlook", "neglect", "discard", "abandon", "dismiss", "omit",
                                 "throw out", "set aside", "pay no", "follow", "obey", "heed",
                                 "listen"),
    "override.ignore_all": ("ignor", "disregard", "forget", "skip", "bypass", "overrid",
                            "overlook", "neglect", "discard", "abandon", "dismiss", "omit",
                            "throw out", "set aside", "pay no", "follow", "obey", "heed",
                            "listen"),
    "override.ignore_what": ("ignor", "disregard", "forget", "skip", "bypass", "overrid",
                             "overlook", "neglect", "discard", "abandon", "dismiss", "omit",
                             "throw out", "set aside", "pay no", "follow", "obey", "heed",
                             "listen"),
    "override.instructions_void": ("false", "void", "null", "cancel", "revoked", "obsolete",
                                   "invalid", "wrong", "a lie", "fake", "overridden",
                                   "no longer"),
    "override.new_instructions": ("instruction", "rule", "task", "directive", "order"),
    "override.override_previous": ("overrid", "supersede", "replace"),
    "override.instead": ("instead", "rather"),
    "override.just_print": ("just ", "only ", "simply "),
    "override.stop_everything": ("stop ",),
    "override.different_task": ("now ",),
    "override.end_marker": ("===", "---", "###", "***"),
    "override.fake_role_token": ("<|", "inst]", "<<", "system"),
    "override.from_now_on": ("from now on",),
    "override.you_are_now": ("you are now", "you are no longer"),
    "override.forget_everything": ("forget ",),
    "override.not_required": ("instruction",),
    "override.ethics_off": ("ethical", "moral", "safety", "content", "openai", "anthropic"),
    "override.es": ("instrucciones", "indicaciones", "órdenes", "reglas", "directrices"),
    "override.fr": ("instructions", "consignes", "directives", "règles"),
    "override.de": ("anweisung", "befehl", "vorgaben", "regeln", "instruktion", "richtlinien",
                    "aufforderung"),
    "override.it": ("istruzioni", "indicazioni", "regole", "direttive", "comandi"),
    "override.pt": ("instruções", "instrucoes", "orientações", "regras", "comandos",
                    "diretrizes"),
    "override.ru": ("инструкци", "указани", "правил", "команд", "промпт", "директив"),
    "override.zh": ("指令", "指示", "说明", "說明", "提示", "规则", "規則", "命令", "要求", "设定",
                    "設定"),
    "override.ja": ("無視", "忘れ"),
    "override.ko": ("무시", "잊어"),
    "jailbreak.dan": ("do anything now", "dan"),
    "jailbreak.dev_mode": (" mode",),
    "jailbreak.jailbroken": ("jailbr",),
    "jailbreak.no_restrictions": ("bound by", "restricted by", "limited by", "constrained by",
                                  "from ", "without", "has no", "have no", "with no", "have",
                                  "zero", "ignore all"),
    "jailbreak.never_refuse": ("refuse", "decline", "deny", "say no", "reject", "always ",
                               "must "),
    "jailbreak.regardless": ("regardless", "no matter"),
    "jailbreak.amoral": ("amoral", "unethical", "uncensored", "unfiltered", "unrestricted",
                         "evil", "immoral"),
    "jailbreak.stay_in_character": ("character",),
    "jailbreak.policy": ("polic",),
    "jailbreak.dual_response": ("🔓", "classic]", "jailbreak]", "two", "2 ", "both"),
    "jailbreak.persona": ("pretend", "act ", "behave", "roleplay", "role-play", "simulate",
                          "imagine"),
    "jailbreak.fiction_harm": ("hypothetical", "fiction", "imaginary", "story", "novel",
                               "screenplay", "roleplay", "role-play", "game"),
    "jailbreak.as_ai_model": ("as an ai",),
    "jailbreak.opposite": ("gpt", "ai", "claude", "bard", "bot"),
    "jailbreak.chatgpt_persona": ("chatgpt", "gpt", "claude", "bard", "gemini", "llama"),
    "jailbreak.illegal_ok": ("illegal", "unethical", "immoral", "harmful"),
    "extract.reveal_prompt": ("prompt", "system", "instruction", "initiali", "your "),
    "extract.what_instructions": ("what ",),
    "extract.told_before": ("what ",),
    "extract.text_above": ("above", "before this", "so far", "preceding", "at the "),
    "extract.start_with": ("you are", "my instructions", "i was instructed", "system prompt"),
    "extract.sentence_stub": ("i was ", "my instructions", "my system prompt", "my rules",
                              "the system prompt"),
    "extract.system_prompt_word": ("system", "initial instructions"),
    "extract.secret": ("secret", "password", "api", "token", "credential"),
    "extract.list_instructions": ("instructions", "commands", "rules", "prompt", "guidelines"),
    "tool.shell_pipe": ("curl", "wget", "rm ", "chmod", "nc ", "powershell", "mkfifo",
                        "/dev/tcp"),
    "tool.secret_files": ("passwd", "shadow", "id_rsa", "credentials", ".env", "environ"),
    "tool.exfil_code": ("requests.", "urllib", "subprocess", "exec(", "eval("),
    "tool.insert_code": ("code", "snippet", "script", "block"),
    "tool.destructive_code": ("dd if", "rmtree", "os.remove", ":|:", "mkfs", "format c:",
                              "del /", "/etc/shadow", "keylogger", "pynput"),
    "tool.call_tool": ("tool", "function", "plugin", "api", "action"),
    "tool.send_data": ("http", "@", "this address", "this url", "this server", "this email"),
    "tool.delete": ("without", "immediately", "now", "permanently", "silently"),
    "tool.run_command": ("run ", "execute "),
    "tool.silently": ("without ", "don", "do not", "never "),
    "indirect.ai_reading": ("reading", "processing", "summari", "parsing", "analy", "scanning",
                            "reviewing", "reads", "browsing"),
    "indirect.note_to_ai": (" to ", " for "),
    "indirect.html_comment": ("<!--",),
    "indirect.role_marker": ("[", "system", "admin"),
    "indirect.when_summarizing": ("summar", "read", "process", "see", "pars", "analy",
                                  "encounter"),
    "indirect.your_response": ("respon", "repl", "answer", "output", "message", "summar"),
    "indirect.modify_response": ("respon", "repl", "answer", "output", "message"),
    "indirect.in_your_response": ("your ", "each ", "every "),
    "indirect.do_not_tell": ("user",),
    "indirect.text_transform": ("letter", "vowel", "consonant", "character"),
    "exfil.md_image_query": ("](",),
    "exfil.url_placeholder": ("http", "<img", "]("),
    "exfil.append_to_url": ("url", "link", "image", "query", "parameter", "address",
                            "endpoint", "href", "src"),
    "exfil.render_image": ("http", "!["),
    "exfil.visit_url": ("http",),
    "obfuscation.decode_and_follow": ("base", "rot", "hex", "binary", "morse", "cipher",
                                      "caesar", "encoded", "reversed", "backwards"),
    "obfuscation.encoded_payload_hint": ("base", "rot", "hex"),
    "compact.ignore_previous": ("ignore", "disregard", "forget"),
    "compact.ignore_all_instr": ("ignore", "disregard", "forget"),
    "compact.reveal": ("reveal", "print", "show", "repeat", "output", "display"),
    "compact.dan": ("doanythingnow", "developermodeenabled", "jailbreakmode"),
}  # fmt: skip


PREFIX_LENGTHS = (3, 4, 5, 6)
# Non-letters (ASCII) become spaces, so ``split()`` yields the Latin words.
_WORD_SHAPE = str.maketrans({chr(i): " " for i in range(128) if not chr(i).islower()})
_PLAIN_WORD = re.compile(r"[a-z]{3,}")


def word_prefixes(view: str) -> AbstractSet[str]:
    """The 3- to 6-letter prefixes of the Latin words of ``view``."""
    if view.isascii():
        words = {w for w in view.translate(_WORD_SHAPE).split() if len(w) >= 3}
    else:  # split on every non-Latin character too (quotes, accents, other scripts)
        words = set(_PLAIN_WORD.findall(view))
    return {w[:k] for w in words for k in PREFIX_LENGTHS}


def _with_cues(rules: Tuple[Rule, ...]) -> Tuple[Rule, ...]:
    out = []
    for r in rules:
        subs: List[str] = []
        words = set()
        for cue in _CUES.get(r.name, ()):
            bare = cue.strip()
            if cue.startswith(" ") or not _PLAIN_WORD.fullmatch(bare):
                subs.append(cue)
            else:
                words.add(bare[: PREFIX_LENGTHS[-1]])
        out.append(Rule(r.name, r.category, r.weight, r.pattern, tuple(subs), frozenset(words)))
    return tuple(out)


RULES = _with_cues(RULES)
COMPACT_RULES = _with_cues(COMPACT_RULES)
ROT13_RULES = _with_cues(ROT13_RULES)
