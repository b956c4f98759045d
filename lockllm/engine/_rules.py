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

import re
import unicodedata
from typing import Iterable, List, Sequence, Tuple

from ._rule import Rule

__all__ = ["CIPHER_RULES", "RULES", "SPACED_RULES"]


_GAP = r"[^.!?\n]{0,40}?"
_SHORT = r"[^.!?\n]{0,20}?"
_IGNORE = (
    r"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|discard|abandon|"
    r"dismiss|omit|throw out|set aside|pay no (?:attention|heed) to|"
    r"(?:do not|don'?t|never|stop) (?:follow(?:ing)?|obey(?:ing)?|heed(?:ing)?|listen(?:ing)? to)|"
    r"no longer (?:follow|obey)|regardless of|irrespective of|notwithstanding)"
)
_BEFORE = (
    r"(?:previous|previously|prior|above|preceding|earlier|foregoing|former|original|initial|"
    r"old|existing|current|system|developer|default|given|your|these|those|all of the|"
    r"all the|all your|all previous|all prior|any previous|any prior|any and all|everything)"
)
# Nouns of ``_INSTRUCTIONS`` that as often name a system's data ("ignore these requests").
_TECHNICAL = (
    r"(?:requests?|messages?|text|input|tasks?|settings?|filters?|orders?|commands?|context|"
    r"training|polic(?:y|ies)|protocols?)"
)
_INSTRUCTIONS = (
    r"(?:instructions?|instrutions?|iunstructions?|insructions?|intructions?|instrucions?|prompts?|directions?|directives?|guidelines?|rules?|"
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
_IGNORE_CUES = ("throw out", "set aside", "pay no", "regardless of", "irrespective of")
_IGNORE_WORDS = ("ignor", "disregard", "forget", "skip", "bypass", "overrid", "overlook",
                 "neglect", "discard", "abandon", "dismiss", "omit", "follow", "obey", "heed",
                 "listen", "notwithstanding")  # fmt: skip

# --- instruction override, output forcing and secret extraction in other languages ---
# Each language lists the idiom's parts in its own words (imperatives, formal and familiar;
# written in the normalised form: NFKC, lower case, Turkish dotless i as "i"). Four rules
# are built from them:
# - override.intl.<lang>: "ignore / forget / do not follow" + an instruction object
#   (instructions, prompt, directives; "rules" only beside "above / previous"), in
#   either order (verb-final languages put the object first).
# - override.intl_output.<lang>: an override of the above, the question, the instructions
#   (or "do not answer") followed by forced output: "just / directly / only say" and a
#   colon or an opening quote ("... ignore the question above and just output: X").
# - override.intl_above.<lang>: "ignore the above / previous ... and write / repeat /
#   give me ...".
# - extract.intl_secret.<lang>: "tell me / share / what is" + *your* (or the system's)
#   password, secret key, system prompt or instructions; never "my password", never a
#   negated verb ("never share your password").
# A correction of one's own words ("ignore my last message", "forget what I said") has
# none of these objects and no forced output, and "how do I reset my password" asks
# nobody to disclose one.
_IN = r"[^.!?。！？।؟\n]"  # one character inside a sentence
_QUOTE = "[:\"“„«「『]| '"  # what opens the forced output


def _gap(n: int) -> str:
    return f"{_IN}{{0,{n}}}?"


def _any(parts: Sequence[str]) -> str:
    return "(?:" + "|".join(parts) + ")"


# A quoted mention of the phrase ("what does 'ignore previous instructions' mean?"): the
# phrase alone between quotes (a word or two may end it) is talked about, not given.
_OPEN = "[\"'“„«「‘]"
# (a straight quote or “ followed by a letter opens the next quotation instead)
_CLOSE = '[^.!?\n"”»」’]{0,16}(?:[”»」’]|["\'“](?!\\w))'


def _unquoted(body: str) -> str:
    """``body``, except where it stands alone between quotes."""
    return f"(?:(?<!{_OPEN})|(?!(?:{body}){_CLOSE}))(?:{body})"


def _lead(fragment: str) -> str:
    """The literal start of a pattern fragment (every match of it holds this)."""
    out = []
    for i, ch in enumerate(fragment):
        if ch in "\\[](){}?*+|.^$":
            break
        if i + 1 < len(fragment) and fragment[i + 1] in "?*{+":
            break
        out.append(ch)
    lead = "".join(out)
    if not lead.strip():
        raise ValueError(f"fragment {fragment!r} has no literal start to use as a cue")
    return lead


def _cues(fragments: Iterable[str]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(cues, words) for the leads of ``fragments``: Latin words go to ``words``."""
    cues: List[str] = []
    words: List[str] = []
    for f in fragments:
        lead = _lead(f)
        target = words if _ASCII_WORD.fullmatch(lead) else cues
        if lead not in target:
            target.append(lead)
    return tuple(cues), tuple(words)


_ASCII_WORD = re.compile(r"[a-z]{2,}")


def _nfkc(parts: Iterable[str]) -> Tuple[str, ...]:
    return tuple(unicodedata.normalize("NFKC", p) for p in parts)


def _intl(
    code: str,
    *,
    ignore: Sequence[str],
    instructions: Sequence[str],
    rules: Sequence[str],
    above: Sequence[str],
    questions: Sequence[str],
    no_answer: Sequence[str],
    only: Sequence[str],
    say: Sequence[str],
    conj: Sequence[str],
    reveal: Sequence[str],
    secret: Sequence[str],
    after: Sequence[str] = (),
    tight: Sequence[str] = (),
    negation: Sequence[str] = (),
    how: Sequence[str] = (),
    what: Sequence[str] = (),
    give: Sequence[str] = (),
    tail: str = "",
    latin: bool = False,
) -> Tuple[Rule, ...]:
    """The four rules of one language (see above)."""
    ign, ins, rul, abv, qst, noa, onl, sy, cnj, rev, sec, aft, tig, neg, hw, wh, giv = (
        _nfkc(p) for p in (ignore, instructions, rules, above, questions, no_answer, only,
                           say, conj, reveal, secret, after, tight, negation, how, what, give)
    )  # fmt: skip
    b = r"\b" if latin else ""
    not_ = "".join(f"(?<!{n})" for n in neg)
    v = not_ + b + _any(ign)
    obj = _any(
        (_any(ins), f"{_any(abv)}{_gap(12)}{_any(rul)}", f"{_any(rul)}{_gap(12)}{_any(abv)}")
    )
    override = Rule(
        f"override.intl.{code}",
        _unquoted(f"{v}{_gap(40)}{obj}|{obj}{_gap(30)}{v}"),
        "instruction_override", 0.9,
        *_cues(ign),
    )  # fmt: skip
    wide = _any((*ins, *rul, *abv, *qst))
    head = _any((f"{v}{_gap(40)}{wide}", f"{wide}{_gap(30)}{v}", b + _any(noa)))
    forced = f'[^\\n]{{0,60}}?{b}{_any((*onl, *sy))}[^\\n:"“„«「『]{{0,30}}(?:{_QUOTE})'
    if tail:
        forced = _any((forced, tail))
    output = Rule(
        f"override.intl_output.{code}",
        head + forced,
        "instruction_override", 0.85,
        *_cues((*ign, *noa)),
    )  # fmt: skip
    then = f"{_gap(30)}{_any(cnj)}{_gap(20)}{b}{_any((*sy, *giv))}"
    above_then = Rule(
        f"override.intl_above.{code}",
        f"(?:{v}{_gap(30)}{_any(abv)}|{_any(abv)}{_gap(30)}{v}){then}",
        "instruction_override", 0.85,
        *_cues(ign),
    )  # fmt: skip

    # "tell me how to change your password" asks for no password: no "how" in between.
    def between(n: int) -> str:
        return f"(?:(?!{_any(hw)}){_IN}){{0,{n}}}?" if hw else _gap(n)

    branches = [f"{not_}{b}{_any(rev)}{between(30)}{b}{_any(sec)}"]
    if wh:
        branches.append(f"{b}{_any(wh)}{between(8)}{b}{_any(sec)}")
    if aft:
        branches.append(f"{b}{_any(sec)}{between(30)}{b}{_any(aft)}")
    if tig:
        branches.append(_any(tig))
    extract = Rule(
        f"extract.intl_secret.{code}",
        "|".join(branches),
        "prompt_extraction", 0.8,
        *_cues((*sec, *tig)),
    )  # fmt: skip
    return override, output, above_then, extract


_INTL_RULES: Tuple[Rule, ...] = (
    # Spanish
    *_intl("es", latin=True,
           ignore=("ignor(?:a|e|en|ad|ando)\\b", "olvid(?:a|e|en|ad|ando)\\b",
                   "omit(?:e|a|an|id)\\b",
                   "descart(?:a|e|en)\\b", "haz caso omiso", "haga caso omiso", "hagan caso omiso",
                   "no sigas", "no siga", "no sigan", "no hagas caso", "no haga caso",
                   "no tengas en cuenta", "no tenga en cuenta", "pasa por alto", "pase por alto",
                   "desestim(?:a|e)\\b", "independientemente de", "sin importar"),
           instructions=("instrucciones", "indicaciones", "directrices", "órdenes", "consignas",
                         "el prompt", "las pautas"),
           rules=("reglas", "normas", "comandos"),
           above=("anterior(?:es)?", "previas?", "precedentes?", "arriba", "de antes",
                  "mencionad[ao]s?"),
           questions=("preguntas?", "lo anterior", "todo lo", "eso", "esto", "mi pregunta"),
           no_answer=("no respondas", "no responda", "no contestes", "no conteste",
                      "sin responder", "no agregue otras palabras", "no agregues otras palabras",
                      "no añada otras palabras", "no añadas otras palabras"),
           only=("solo", "sólo", "solamente", "simplemente", "directamente", "únicamente",
                 "unicamente"),
           say=("emite", "emita", "escribe", "escriba", "di", "diga", "responde", "responda",
                "imprime", "imprima", "repite", "repita", "genera", "genere", "produce",
                "muestra", "muestre", "contesta", "conteste", "salida"),
           conj=("y", "e", "luego", ","),
           give=("dame", "deme", "dime", "dígame"),
           reveal=("dime", "d[ií]game", "dinos", "revela", "revele", "muestra", "muestre",
                   "mu[eé]strame", "comparte", "comparta", "comp[aá]rteme", "dame", "deme",
                   "proporciona", "proporcione", "imprime", "repite", "escribe", "compartir",
                   "decirme", "revelar", "darme", "mostrarme", "puedes decirme",
                   "podr[ií]as decirme", "env[ií]a"),
           what=("cu[aá]l es", "cu[aá]les son"),
           how=("cómo", "como ", "por qué", "cuándo", "cuando", "si "),
           negation=("no ", "nunca ", "jamás "),
           secret=("tu contraseña", "su contraseña", "la contraseña del sistema",
                   "la contraseña de administrador", "la contraseña del administrador",
                   "tu clave", "su clave", "la clave secreta", "tu código secreto",
                   "su código secreto", "tu palabra secreta", "el prompt del sistema",
                   "tu prompt", "su prompt", "el mensaje del sistema",
                   "las instrucciones del sistema", "tus instrucciones", "sus instrucciones")),
    # Portuguese
    *_intl("pt", latin=True,
           ignore=("ignor(?:e|a|em|ar)\\b", "esqueç(?:a|am)\\b", "esquec(?:a|am|er)\\b",
                   "desconsider(?:e|a|em)\\b", "despreze", "não siga", "não sigas", "não sigam",
                   "não obedeça", "não considere", "deixe de lado", "independentemente d"),
           instructions=("instruções", "instrucoes", "orientações", "diretrizes", "diretivas",
                         "o prompt"),
           rules=("regras", "comandos", "normas"),
           above=("anteriores?", "acima", "prévias?", "precedentes?", "mencionad[ao]s"),
           questions=("perguntas?", "isso", "isto", "tudo", "minha pergunta"),
           no_answer=("não responda", "não responde", "não respondas", "não conteste",
                      "sem responder", "não adicione outras palavras",
                      "não acrescente outras palavras"),
           only=("apenas", "somente", "só", "simplesmente", "diretamente"),
           say=("diga", "diz", "escreva", "escreve", "imprima", "repita", "responda", "produza",
                "gere", "mostre", "emita", "saída", "digite"),
           conj=("e", "depois", ","),
           give=("dê-me", "me dê", "diga-me", "me diga"),
           reveal=("diga-me", "me diga", "conte-me", "mostre", "revele", "compartilhe", "partilhe",
                   "dê-me", "me dê", "forneça", "imprima", "repita", "pode me dizer", "envie",
                   "compartilhar", "dizer", "revelar", "me passar", "informar"),
           what=("qual é", "qual e", "quais são"),
           how=("como", "por que", "porque", "quando", "se "),
           negation=("não ", "nunca ", "jamais "),
           secret=("sua senha", "tua senha", "a senha do sistema", "a senha do administrador",
                   "sua chave", "tua chave", "a chave secreta", "seu código secreto",
                   "teu código secreto", "seu prompt", "teu prompt", "o prompt do sistema",
                   "suas instruções", "tuas instruções", "as instruções do sistema")),
    # French
    *_intl("fr", latin=True,
           ignore=("ignorez\\b", "ignorer\\b", "ignores\\b",
                   "ignore(?= (?:les|toutes|tous|tout|tes|vos|ces|cette|ce|la|le|l'|l’|ma|mes)\\b)",
                   "oublie[zrs]?\\b", "ne tiens pas compte", "ne tenez pas compte",
                   "fais abstraction", "faites abstraction", "ne suis pas", "ne suivez pas",
                   "n'obéis pas", "n’obéis pas", "n'obéissez pas", "n’obéissez pas",
                   "laisse de côté", "laissez de côté",
                   "fais fi", "faites fi", "indépendamment d", "quelles que soient"),
           instructions=("instructions", "consignes", "directives", "le prompt", "ordres"),
           rules=("règles", "commandes"),
           above=("ci-dessus", "précédente?s?", "antérieure?s?", "plus haut", "d[’']avant",
                  "mentionnée?s?"),
           questions=("questions?", "ce qui précède", "tout", "cela", "ma question"),
           no_answer=("ne réponds pas", "ne répondez pas", "sans répondre",
                      "n'ajoutez pas d'autres mots",
                      "n'ajoute pas d'autres mots", "n'ajoutez aucun mot", "n'ajoute aucun mot"),
           only=("simplement", "seulement", "uniquement", "directement", "juste"),
           say=("dis", "dites", "écris", "écrivez", "affiche", "affichez", "imprime", "imprimez",
                "répète", "répétez", "réponds", "répondez", "produis", "produisez", "sors",
                "sortez", "renvoie", "renvoyez", "tape", "tapez", "génère", "générez"),
           conj=("et", "puis", ","),
           give=("donne-moi", "donnez-moi", "dis-moi", "dites-moi"),
           reveal=("dis-moi", "dites-moi", "révèle", "révélez", "montre", "montrez", "partage",
                   "partagez", "donne-moi", "donnez-moi", "affiche", "affichez", "communique",
                   "communiquez", "partager", "révéler", "dire", "donner", "me communiquer",
                   "peux-tu me dire", "pouvez-vous me dire", "envoie", "envoyez",
                   "imprime", "répète"),
           what=("quel est", "quelle est", "quels sont", "quelles sont"),
           how=("comment", "pourquoi", "quand", "si "),
           negation=("ne ", "n'", "n’", "jamais "),
           secret=("ton mot de passe", "votre mot de passe", "le mot de passe du système",
                   "le mot de passe de l'administrateur", "ta clé", "votre clé",
                   "la clé secrète", "ton code secret", "votre code secret", "ton prompt",
                   "votre prompt", "le prompt système", "le prompt du système",
                   "l'invite système", "l’invite système", "le message système", "tes instructions",
                   "vos instructions", "tes consignes", "vos consignes")),
    # Italian
    *_intl("it", latin=True,
           ignore=("ignor(?:a|ate|i|are)\\b", "dimentic(?:a|ate|hi|are)\\b",
                   "trascur(?:a|ate|i)\\b",
                   "non seguire", "non seguite", "non segua", "non considerare", "non considerate",
                   "non tenere conto", "non tenete conto", "lascia perdere", "lasciate perdere",
                   "tralasci(?:a|ate)\\b", "indipendentemente d", "a prescindere d"),
           instructions=("istruzioni", "indicazioni", "direttive", "consegne", "il prompt"),
           rules=("regole", "comandi", "norme"),
           above=("precedenti", "sopra", "suddett[aei]", "antecedenti", "di prima"),
           questions=("domand[ae]", "quesit[io]", "tutto", "ciò", "la mia domanda"),
           no_answer=("non rispondere", "non rispondete", "non risponda", "senza rispondere",
                      "non aggiungere altre parole", "non aggiungete altre parole"),
           only=("solo", "soltanto", "semplicemente", "direttamente", "unicamente"),
           say=("scrivi", "scrivete", "dì", "di'", "dite", "stampa", "stampate", "ripeti",
                "ripetete", "rispondi", "rispondete", "produci", "genera", "mostra", "emetti",
                "digita"),
           conj=("e", "poi", ","),
           give=("dammi", "datemi", "dimmi", "ditemi"),
           reveal=("dimmi", "ditemi", "mi dici", "rivela", "rivelate", "mostra", "mostrami",
                   "condividi", "condividete", "condividere", "dire", "dirmi", "rivelare",
                   "mostrare", "fornire", "dammi", "datemi", "fornisci", "stampa", "ripeti",
                   "puoi dirmi", "potresti dirmi", "invia"),
           what=("qual è", "qual e", "quali sono"),
           how=("come", "perché", "quando", "se "),
           negation=("non ", "mai "),
           secret=("la tua password", "la sua password", "la vostra password",
                   "la password del sistema", "la password di sistema",
                   "la password dell'amministratore", "la tua chiave", "la sua chiave",
                   "la chiave segreta", "il tuo codice segreto", "il suo codice segreto",
                   "la tua parola d'ordine", "il tuo prompt", "il prompt di sistema",
                   "il prompt del sistema", "le tue istruzioni", "le sue istruzioni",
                   "le vostre istruzioni")),
    # German
    *_intl("de", latin=True,
           ignore=("ignorier(?:e|en|t)?\\b", "vergiss(?! nicht)", "vergesst(?! nicht)",
                   "vergessen sie(?! nicht)", "missacht(?:e|en|et)\\b",
                   "übergeh(?:e|en)?\\b", "überspring(?:e|en)?\\b", "beachte nicht",
                   "beachten sie nicht",
                   "befolge nicht", "befolgen sie nicht", "außer acht", "hör nicht auf",
                   "hören sie nicht auf", "unabhängig von", "ungeachtet"),
           instructions=("anweisung(?:en)?", "instruktion(?:en)?", "vorgaben", "richtlinien",
                         "direktiven", "den prompt", "deinen prompt", "ihren prompt"),
           rules=("regeln", "befehle"),
           above=("obige[nrs]?", "obere[nrs]?", "oben", "vorherige[nrs]?", "vorige[nrs]?",
                  "bisherige[nrs]?", "vorangegangene[nrs]?", "frühere[nrs]?", "genannte[nrs]?"),
           questions=("fragen?", "alles", "das", "meine frage"),
           no_answer=("antworte nicht", "antworten sie nicht", "beantworte nicht",
                      "beantworten sie nicht", "ohne zu antworten", "beantworte die frage nicht",
                      "beantworten sie die frage nicht", "fügen sie keine wörter",
                      "füge keine wörter",
                      "fügen sie keine weiteren wörter", "füge keine weiteren wörter"),
           only=("nur", "einfach", "direkt", "lediglich", "ausschließlich"),
           say=("gib", "gebe", "geben sie", "schreib", "schreibe", "schreiben sie", "sag", "sage",
                "sagen sie", "wiederhole", "wiederholen sie", "antworte", "antworten sie", "drucke",
                "tippe", "ausgabe"),
           conj=("und", "dann", ","),
           give=("gib mir", "geben sie mir", "nenne mir", "nennen sie mir"),
           reveal=("sag mir", "sagen sie mir", "verrate", "verraten sie", "zeig", "zeige",
                   "zeigen sie", "teile", "teilen sie", "gib mir", "geben sie mir", "nenne",
                   "nennen sie", "offenbare", "wiederhole", "kannst du mir sagen",
                   "können sie mir sagen", "schick", "sende"),
           after=("teilen", "verraten", "nennen", "mitteilen", "sagen", "zeigen",
                  "preisgeben", "schicken", "senden", "verrätst", "teilst"),
           what=("was ist", "wie lautet", "wie lauten", "was sind"),
           how=("wie ", "warum", "wann", "ob ", "wenn", "nicht", "nie"),
           negation=("nicht ", "nie ", "niemals "),
           secret=("dein passwort", "ihr passwort", "euer passwort", "das passwort des systems",
                   "das systempasswort", "das admin-passwort", "das passwort des administrators",
                   "dein kennwort", "ihr kennwort", "deinen geheimen schlüssel",
                   "ihren geheimen schlüssel", "den geheimen schlüssel", "dein geheimcode",
                   "deinen geheimcode", "ihren geheimcode", "den systemprompt",
                   "deinen systemprompt",
                   "den system-prompt", "deinen prompt", "ihren prompt", "deine anweisungen",
                   "ihre anweisungen", "die systemanweisungen", "deine instruktionen")),
    # Dutch
    *_intl("nl", latin=True,
           ignore=("negeer", "negeert", "vergeet(?! niet)", "ignoreer", "ignoreert", "sla over",
                   "volg niet", "houd geen rekening met", "schenk geen aandacht aan"),
           instructions=("instructies", "aanwijzingen", "opdrachten", "richtlijnen", "de prompt"),
           rules=("regels", "commando's"),
           above=("bovenstaande", "vorige", "eerdere", "voorgaande", "hierboven"),
           questions=("vragen", "vraag", "alles", "dat", "mijn vraag"),
           no_answer=("beantwoord niet", "antwoord niet", "niet beantwoorden",
                      "geef geen antwoord", "zonder te antwoorden"),
           only=("alleen", "gewoon", "direct", "slechts", "enkel"),
           say=("zeg", "schrijf", "geef", "herhaal", "antwoord", "print", "typ", "voer uit"),
           conj=("en", "dan", ","),
           give=("geef me", "geef mij", "vertel me"),
           reveal=("vertel me", "vertel mij", "laat zien", "toon", "onthul", "deel", "geef me",
                   "geef mij", "noem", "stuur"),
           what=("wat is", "wat zijn"),
           how=("hoe", "waarom", "wanneer", "als ", "nooit", "niet"),
           negation=("niet ", "nooit "),
           secret=("je wachtwoord", "jouw wachtwoord", "uw wachtwoord",
                   "het wachtwoord van het systeem", "het systeemwachtwoord", "je geheime sleutel",
                   "uw geheime sleutel", "de geheime sleutel", "je geheime code",
                   "de systeemprompt",
                   "je systeemprompt", "je instructies", "jouw instructies", "uw instructies")),
    # Romanian (both comma-below and cedilla letters)
    *_intl("ro", latin=True,
           ignore=("ignor(?:ă|a|ați|aţi)\\b", "uit(?:ă|ați|aţi)\\b", "nu urma", "nu urmați",
                   "nu urmaţi",
                   "nu respecta", "nu respectați", "treci peste", "trece[țţ]i peste"),
           instructions=("instruc[țţ]iuni(?:le)?", "indica[țţ]ii(?:le)?", "directive(?:le)?",
                         "promptul"),
           rules=("regul(?:ile|i)", "comenzi(?:le)?"),
           above=("de mai sus", "anterioare", "precedente", "dinainte"),
           questions=("întrebăr(?:ile|i)", "întrebarea", "tot", "totul"),
           no_answer=("nu răspunde", "nu răspunde[țţ]i", "fără să răspunzi"),
           only=("doar", "numai", "pur [șş]i simplu", "direct"),
           say=("scrie", "scrie[țţ]i", "spune", "spune[țţ]i", "afi[șş]ează", "repetă",
                "răspunde", "tipăre[șş]te", "output"),
           conj=("[șş]i", "apoi", ","),
           give=("dă-mi", "da[țţ]i-mi", "spune-mi"),
           reveal=("spune-mi", "spune[țţ]i-mi", "dezvăluie", "arată-mi", "arată",
                   "împărtă[șş]e[șş]te", "dă-mi", "da[țţ]i-mi", "trimite"),
           what=("care este", "care e"),
           how=("cum", "de ce", "când", "dacă"),
           negation=("nu ", "niciodată "),
           secret=("parola ta", "parola dvs", "parola dumneavoastră", "parola sistemului",
                   "parola administratorului", "cheia ta", "cheia secretă", "codul tău secret",
                   "codul secret", "promptul tău", "promptul de sistem", "promptul sistemului",
                   "instruc[țţ]iunile tale", "instruc[țţ]iunile dvs",
                   "instruc[țţ]iunile de sistem")),
    # Polish
    *_intl("pl", latin=True,
           ignore=("zignoruj(?:cie)?\\b", "ignoruj(?:cie)?\\b", "zapomnij(?:cie)?\\b", "pomiń",
                   "pomińcie",
                   "nie stosuj się do", "nie wykonuj", "nie przestrzegaj", "nie słuchaj"),
           instructions=("instrukcj\\w{0,3}", "polece\\w{0,4}", "wytyczn\\w{0,3}", "prompt\\w{0,2}",
                         "dyrektyw\\w{0,3}"),
           rules=("zasad\\w{0,3}", "reguł\\w{0,3}", "komend\\w{0,3}"),
           above=("powyższ\\w{0,3}", "poprzedni\\w{0,3}", "wcześniejsz\\w{0,3}", "wyżej"),
           questions=("pytani\\w{0,3}", "wszystko", "to", "moje pytanie"),
           no_answer=("nie odpowiadaj", "nie odpowiadajcie", "bez odpowiadania"),
           only=("tylko", "po prostu", "bezpośrednio", "jedynie"),
           say=("napisz", "wypisz", "powiedz", "powtórz", "odpowiedz", "wyświetl", "wydrukuj"),
           conj=("i", "a potem", ","),
           give=("daj mi", "podaj mi", "powiedz mi"),
           reveal=("powiedz mi", "podaj", "ujawnij", "pokaż", "udostępnij", "daj mi", "wyślij",
                   "wypisz"),
           what=("jakie jest", "jaki jest", "jakie są", "co to"),
           how=("jak", "dlaczego", "kiedy", "czy"),
           negation=("nie ", "nigdy "),
           secret=("twoje hasło", "pana hasło", "pani hasło", "hasło systemu",
                   "hasło administratora",
                   "hasło do systemu", "twój tajny klucz", "tajny klucz", "twój klucz api",
                   "prompt systemowy", "twój prompt", "twoje instrukcje", "instrukcje systemowe")),
    # Russian
    *_intl("ru",
           ignore=("игнорируй", "проигнорируй", "забудь", "не обращай внимания на",
                   "не обращайте внимания на", "отбрось", "не следуй", "не выполняй", "пропусти",
                   "не учитывай", "независимо от", "вопреки"),
           instructions=("инструкци\\w{0,3}", "указани\\w{0,3}", "промпт\\w{0,2}",
                         "директив\\w{0,3}"),
           rules=("правил\\w{0,3}", "команд\\w{0,3}"),
           above=("выше", "предыдущ\\w{0,3}", "вышеуказанн\\w{0,3}", "вышеизложенн\\w{0,3}",
                  "прежн\\w{0,3}", "ранее"),
           questions=("вопрос\\w{0,3}", "всё", "все", "это", "мой вопрос"),
           no_answer=("не отвечай", "не давай ответ", "не давайте ответ", "без ответа на",
                      "не добавляй других слов", "не добавляйте других слов",
                      "не добавляй лишних слов", "не добавляйте лишних слов"),
           only=("просто", "только", "сразу", "напрямую"),
           say=("выведи", "выведите", "напиши", "напишите", "скажи", "скажите", "повтори",
                "повторите", "ответь", "ответьте", "выдай", "выдайте", "вывод"),
           conj=("и", "а затем", "затем", ","),
           give=("дай мне", "дайте мне", "назови", "назовите"),
           reveal=("скажи мне", "скажите мне", "назови", "назовите", "раскрой", "раскройте",
                   "покажи", "покажите", "поделись", "поделитесь", "сообщи", "сообщите",
                   "дай мне", "дайте мне", "выведи"),
           what=("какой", "каков", "какой у тебя", "какой у вас"),
           tight=("какой у (?:тебя|вас) пароль",),
           how=("как", "почему", "когда", "если", "зачем"),
           negation=("не ", "никогда "),
           secret=("твой пароль", "ваш пароль", "пароль от системы", "пароль системы",
                   "пароль администратора", "пароль админа", "твой секретный", "ваш секретный",
                   "секретный ключ", "секретный код", "системный промпт", "системные инструкции",
                   "системную подсказку", "твои инструкции", "ваши инструкции", "твой промпт",
                   "ваш промпт")),
    # Ukrainian
    *_intl("uk",
           ignore=("ігноруй", "проігноруй", "забудь", "не зважай на", "не зважайте на",
                   "не виконуй", "не дотримуйся"),
           instructions=("інструкці\\w{0,3}", "вказів\\w{0,3}", "промпт\\w{0,2}",
                         "директив\\w{0,3}"),
           rules=("правил\\w{0,3}", "команд\\w{0,3}"),
           above=("вище", "попередн\\w{0,3}", "вищезазначен\\w{0,3}"),
           questions=("питанн\\w{0,3}", "все", "це", "моє питання"),
           no_answer=("не відповідай", "не давай відповіді"),
           only=("просто", "лише", "тільки", "одразу"),
           say=("виведи", "виведіть", "напиши", "напишіть", "скажи", "скажіть", "повтори",
                "повторіть", "відповідай", "видай"),
           conj=("і", "й", "та", "а потім", ","),
           give=("дай мені", "дайте мені", "назви", "назвіть"),
           reveal=("скажи мені", "скажіть мені", "назви", "назвіть", "розкрий", "покажи",
                   "покажіть", "поділись", "поділіться", "повідом", "дай мені", "дайте мені"),
           what=("який", "яке"),
           tight=("який у (?:тебе|вас) пароль",),
           how=("як", "чому", "коли", "якщо"),
           negation=("не ", "ніколи "),
           secret=("твій пароль", "ваш пароль", "пароль системи", "пароль адміністратора",
                   "твій секретний", "ваш секретний", "секретний ключ", "системний промпт",
                   "системні інструкції", "твої інструкції", "ваші інструкції")),
    # Turkish (the view writes dotless i as i)
    *_intl("tr", latin=True,
           ignore=("görmezden gel", "yok say", "göz ardi et", "dikkate alma", "önemseme",
                   "umursama", "uyma\\b", "uymayin", "unut\\b", "unutun\\b", "atla\\b", "ihmal et"),
           instructions=("talimat\\w{0,6}", "yönerge\\w{0,6}", "istem\\w{0,4}", "prompt\\w{0,4}",
                         "direktif\\w{0,4}"),
           rules=("kural\\w{0,6}", "komut\\w{0,6}"),
           above=("yukaridaki", "yukarida", "önceki", "evvelki", "önceden verilen", "verilen"),
           questions=("soru\\w{0,6}", "her şeyi", "hepsini", "bunu", "sorumu"),
           no_answer=("cevap verme", "cevaplama", "yanit verme", "yanitlama", "cevap vermeyin",
                      "yanit vermeyin", "cevaplamayin", "yanitlamayin"),
           only=("sadece", "yalnizca", "doğrudan", "direkt", "direk"),
           say=("yaz", "yazdir", "söyle", "tekrarla", "çikti", "yanit ver", "cevap ver"),
           conj=("ve", "sonra", ","),
           give=("bana ver", "bana söyle", "ver\\b"),
           reveal=("söyler misin", "söyleyebilir misin", "paylaşir misin", "paylaşabilir misin"),
           how=("nasil", "neden", "niçin", "eğer"),
           after=("söyle\\b", "söyler misin", "söyleyebilir misin", "paylaş\\b", "paylaşir misin",
                  "paylaşabilir misin", "göster\\b", "açikla\\b", "ver\\b", "verir misin",
                  "nedir", "ne\\b"),
           secret=("şifren(?:izi|iz|i)?\\b", "parolan(?:izi|iz|i)?\\b", "senin şifre",
                   "sizin şifre",
                   "senin parola", "sizin parola", "sistem şifre", "sistemin şifre",
                   "sistem parola", "sistemin parola", "yönetici şifre", "gizli anahtar",
                   "gizli kod", "sistem istem", "sistem prompt", "sistem talimat",
                   "talimatlarini\\b")),
    # Arabic
    *_intl("ar", latin=True,
           ignore=("تجاهل", "انس\\b", "انسى", "انسي", "لا تتبع", "لا تلتزم", "أهمل", "اهمل",
                   "تغاض", "لا تهتم ب", "اترك", "وتجاهل", "بغض النظر عن", "بصرف النظر عن"),
           instructions=("التعليمات", "تعليمات", "الأوامر", "أوامر", "اوامر", "الإرشادات",
                         "التوجيهات", "الموجه", "التلقين"),
           rules=("القواعد",),
           above=("أعلاه", "السابقة", "السابق", "المذكورة", "المتقدمة", "فوق", "الماضية"),
           questions=("الأسئلة", "السؤال", "سؤالي", "ما سبق", "كل ما سبق", "هذا"),
           no_answer=("لا تجب", "لا تجيب", "لا ترد", "دون الإجابة", "بدون الإجابة", "بدون إجابة",
                      "لا تضف كلمات", "لا تضف أي كلمات", "لا تضيف كلمات"),
           only=("فقط", "مباشرة", "ببساطة"),
           say=("اكتب", "قل", "أخرج", "اخرج", "الإخراج", "إخراج", "المخرجات", "كرر", "أجب", "اطبع",
                "أعد"),
           conj=("و", "ثم", ","),
           give=("أعطني", "اعطني", "أخبرني", "اخبرني"),
           reveal=("أخبرني", "اخبرني", "قل لي", "أعطني", "اعطني", "شارك", "اكشف", "أظهر", "اظهر",
                   "اعرض", "تخبرني", "أرسل"),
           what=("ما هي", "ما هو"),
           how=("كيف", "لماذا", "متى", "إذا"),
           negation=("لا ",),
           secret=("كلمة المرور الخاصة بك", "كلمة مرورك", "كلمة السر الخاصة بك", "كلمة سرك",
                   "كلمة المرور الخاصة بالنظام", "كلمة مرور النظام", "كلمة سر النظام",
                   "المفتاح السري", "الرمز السري", "موجه النظام", "تعليماتك", "تعليمات النظام")),
    # Persian
    *_intl("fa",
           ignore=("نادیده بگیر", "فراموش کن", "توجه نکن", "پیروی نکن", "اعتنا نکن"),
           instructions=("دستورالعمل", "دستورات", "دستور", "پرامپت", "راهنمایی"),
           rules=("قوانین", "قواعد"),
           above=("بالا", "قبلی", "پیشین", "فوق", "قبل"),
           questions=("سوال", "سؤال", "پرسش", "همه", "این"),
           no_answer=("پاسخ نده", "جواب نده", "بدون پاسخ"),
           only=("فقط", "مستقیما", "مستقیماً"),
           say=("بنویس", "بگو", "تکرار کن", "خروجی", "چاپ کن"),
           conj=("و", "سپس", ","),
           give=("به من بده", "بده", "به من بگو"),
           reveal=("بگو", "فاش کن", "نشان بده", "به اشتراک بگذار", "بده", "چیست", "چیه"),
           after=("را بگو", "را به من بگو", "را فاش کن", "را نشان بده", "را بده", "چیست", "چیه"),
           how=("چگونه", "چطور", "چرا"),
           secret=("رمز عبور شما", "رمز عبورت", "رمز عبور سیستم", "گذرواژه شما", "کلید مخفی",
                   "کلید محرمانه", "پرامپت سیستم", "دستورالعمل های شما", "دستورات شما")),
    # Hindi
    *_intl("hi",
           ignore=("अनदेखा", "रअंदाज", "ध्यान न दें", "ध्यान मत दो", "ध्यान ना दें",
                   "ध्यान न दीजिए",
                   "भूल जाओ", "भूल जाएं", "भूल जाइए", "भूल जायें", "उपेक्षा", "अवहेलना", "इग्नोर",
                   "पालन न करें",
                   "पालन मत करो"),
           instructions=("निर्देश", "प्रॉम्प्ट", "प्रांप्ट", "आदेश", "अनुदेश", "हिदायत"),
           rules=("नियम",),
           above=("उपरोक्त", "ऊपर", "पिछले", "पिछली", "पहले", "पूर्व"),
           questions=("प्रश्न", "सवाल", "बातों", "बात", "मेरे प्रश्न", "मेरा सवाल"),
           no_answer=("उत्तर न दें", "उत्तर मत दो", "उत्तर ना दें", "जवाब न दें", "जवाब मत दो",
                      "जवाब ना दें", "उत्तर दिए बिना", "जवाब दिए बिना", "उत्तर न दीजिए",
                      "कोई अन्य शब्द न जोड़ें", "अन्य शब्द न जोड़ें", "कोई शब्द न जोड़ें"),
           only=("केवल", "सिर्फ", "बस", "सीधे", "मात्र"),
           say=("आउटपुट", "लिखें", "लिखो", "कहें", "कहो", "दोहराएं", "दोहराओ", "दोहराइए",
                "टाइप करें", "प्रिंट करें", "बोलें", "बोलो"),
           conj=("और", "फिर", "तथा", ","),
           give=("मुझे दें", "मुझे दो", "मुझे बताएं", "मुझे बताओ", "दीजिए"),
           reveal=("बताएं", "बताइए", "बताओ", "बता दो", "बता सकते", "साझा करें", "साझा कीजिए",
                   "शेयर करें", "दिखाएं", "दिखाओ", "प्रकट करें"),
           after=("बताएं", "बताइए", "बताओ", "बता दो", "बता सकते", "साझा करें", "साझा कीजिए",
                  "शेयर करें", "दिखाएं", "दिखाओ", "प्रकट करें", "क्या है", "क्या हैं"),
           how=("कैसे", "क्यों", "कब", "अगर", "बदल", "रीसेट"),
           negation=("न ", "मत ", "कभी "),
           secret=("आपका पासवर्ड", "आपके पासवर्ड", "अपना पासवर्ड", "तुम्हारा पासवर्ड",
                   "सिस्टम का पासवर्ड", "सिस्टम पासवर्ड", "गुप्त कुंजी", "सीक्रेट की", "गुप्त कोड",
                   "सिस्टम प्रॉम्प्ट", "आपके निर्देश", "आपका प्रॉम्प्ट")),
    # Bengali
    *_intl("bn",
           ignore=("উপেক্ষা", "অগ্রাহ্য", "ভুলে যান", "ভুলে যাও", "মানবেন না", "মেনো না",
                   "পাত্তা দিও না", "গুরুত্ব দেবেন না", "ইগনোর"),
           instructions=("নির্দেশ", "প্রম্পট", "আদেশ", "কমান্ড"),
           rules=("নিয়ম",),
           above=("উপরের", "উপরোক্ত", "আগের", "পূর্ববর্তী", "পূর্বের"),
           questions=("প্রশ্ন", "কথা", "সব", "আমার প্রশ্ন"),
           no_answer=("উত্তর দেবেন না", "উত্তর দিও না", "উত্তর দিবেন না", "উত্তর না দিয়ে",
                      "জবাব দেবেন না"),
           only=("শুধু", "কেবল", "সরাসরি", "শুধুমাত্র"),
           say=("আউটপুট", "লিখুন", "লেখো", "বলুন", "বলো", "পুনরাবৃত্তি করুন"),
           conj=("এবং", "তারপর", "আর", ","),
           give=("আমাকে দিন", "আমাকে দাও", "আমাকে বলুন"),
           reveal=("বলুন", "বলো", "বলতে পারেন", "শেয়ার করুন", "শেয়ার করো", "দেখান",
                   "প্রকাশ করুন"),
           after=("বলুন", "বলো", "বলতে পারেন", "শেয়ার করুন", "শেয়ার করো", "দেখান", "প্রকাশ করুন",
                  "কী", "কি"),
           how=("কীভাবে", "কিভাবে", "কেন", "যদি", "পরিবর্তন", "রিসেট"),
           negation=("না ",),
           secret=("আপনার পাসওয়ার্ড", "তোমার পাসওয়ার্ড", "সিস্টেমের পাসওয়ার্ড", "গোপন কী",
                   "গোপন চাবি", "গোপন কোড", "সিস্টেম প্রম্পট", "আপনার নির্দেশ")),
    # Chinese (simplified and traditional)
    *_intl("zh",
           ignore=("忽略", "忽视", "忽視", "无视", "無視", "不要理会", "不要理會", "别理会",
                   "不用理会",
                   "不理会", "忘记(?!了)", "忘記(?!了)", "忘掉", "抛开", "拋開", "跳过", "跳過",
                   "不要管", "别管", "无论", "無論", "不管"),
           instructions=("指令", "指示", "提示词", "提示詞", "命令", "设定", "設定"),
           rules=("规则", "規則", "要求"),
           above=("以上", "上面", "上述", "之前", "前面", "先前", "此前"),
           questions=("问题", "問題", "内容", "內容", "一切", "所有", "我的问题"),
           no_answer=("不要回答", "不用回答", "别回答", "無需回答", "无需回答", "不必回答",
                      "不要回复", "不要回復", "不要添加其他", "不要加任何", "不要添加任何"),
           only=("直接", "只需", "只要", "只", "仅", "僅"),
           say=("输出", "輸出", "打印", "重复", "重複", "说", "說", "回答", "回复", "写出", "寫出"),
           conj=("并", "並", "然后", "然後", "而是", "，", ","),
           give=("给我", "給我", "告诉我", "告訴我"),
           reveal=("告诉我", "告訴我", "透露", "泄露", "洩露", "显示", "顯示", "展示", "分享",
                   "给我",
                   "給我", "说出", "說出", "输出", "打印", "提供"),
           after=("是什么", "是什麼", "是多少", "告诉我", "告訴我"),
           tight=("告诉我(?:一下)?(?:这个|那个|系统的?)?密码",
                  "告訴我(?:一下)?(?:這個|那個|系統的?)?密碼",
                  "给我(?:这个|系统的?)?密码", "給我(?:這個|系統的?)?密碼"),
           how=("如何", "怎么", "怎麼", "怎样", "怎樣", "为什么", "為什麼", "修改", "重置", "更改"),
           negation=("不要", "别", "勿", "不得"),
           secret=("你的密码", "你的密碼", "您的密码", "您的密碼", "系统的密码", "系统密码",
                   "系統密碼",
                   "系統的密碼", "管理员密码", "管理員密碼", "你的密钥", "你的密鑰", "系统密钥",
                   "秘密密钥",
                   "口令", "系统提示", "系統提示", "系统指令", "系統指令", "你的指令", "你的指示",
                   "你的设定", "你的設定", "初始指令", "隐藏指令", "隱藏指令")),
    # Japanese
    *_intl("ja",
           ignore=("無視", "忘れ(?!ない|ず|る|ま)", "従わない", "従わず", "従うな", "気にせず",
                   "気にしない"),
           instructions=("指示", "命令", "指令", "プロンプト", "設定"),
           rules=("ルール", "規則"),
           above=("以上", "上記", "上の", "前の", "先の", "先ほど", "これまでの", "以前の"),
           questions=("質問", "問題", "内容", "文章", "すべて", "全て", "私の質問"),
           no_answer=("答えないで", "答えずに", "回答しないで", "回答せずに", "返答しないで",
                      "返答せずに", "他の言葉を加えず", "余計な言葉を加えず", "他の単語を追加せず"),
           only=("そのまま", "直接", "だけ", "のみ", "単に"),
           say=("出力", "書いて", "言って", "繰り返", "答えて", "回答して", "表示"),
           conj=("て", "で", "、", ","),
           tail="[^\\n]{0,30}?「[^」\\n]{1,200}」(?:と|だけ|のみ)",
           reveal=("教えて", "見せて", "明かして", "開示", "共有して", "出力して", "表示して",
                   "渡して",
                   "送って"),
           after=("を教えて", "は何", "はなん", "を見せて", "を明かして", "を開示", "を共有",
                  "を出力", "を表示", "を渡して", "を送って", "教えて"),
           tight=("パスワード(?:を|は)(?:教えて|見せて|何|なん|共有|明かして)",),
           how=("方法", "どうやって", "なぜ", "変更", "リセット", "再設定"),
           secret=("あなたのパスワード", "システムのパスワード", "管理者のパスワード", "秘密鍵",
                   "シークレットキー", "秘密のコード", "暗証番号", "システムプロンプト",
                   "あなたの指示",
                   "初期指示", "隠された指示", "あなたのプロンプト")),
    # Korean
    *_intl("ko",
           ignore=("무시", "잊어", "잊고", "잊으세요", "따르지 마", "따르지 말고", "신경 쓰지 말고",
                   "건너뛰"),
           instructions=("지시", "명령", "지침", "프롬프트", "설정"),
           rules=("규칙", "안내"),
           above=("위의", "위", "이전", "앞의", "앞서", "기존", "상기"),
           questions=("질문", "문제", "내용", "모든 것", "모두", "제 질문"),
           no_answer=("대답하지 말고", "답하지 말고", "대답하지 마", "답변하지 말고", "답변하지 마",
                      "응답하지 말고", "답하지 마"),
           only=("그냥", "바로", "직접", "오직", "단지"),
           say=("출력", "말해", "써", "작성", "반복", "답하", "대답하"),
           conj=("고", ","),
           reveal=("알려", "말해", "보여", "공개", "공유", "출력"),
           after=("알려", "말해", "보여", "공개", "공유", "출력", "뭐", "무엇"),
           tight=("비밀번호(?:를|는|가|을) ?(?:알려|말해|공유|보여|뭐|무엇)",),
           how=("방법", "어떻게", "왜", "변경", "재설정"),
           secret=("당신의 비밀번호", "너의 비밀번호", "네 비밀번호", "귀하의 비밀번호",
                   "시스템 비밀번호", "시스템의 비밀번호", "관리자 비밀번호", "비밀 키", "비밀키",
                   "시크릿 키", "비밀 코드", "시스템 프롬프트", "당신의 지시", "당신의 프롬프트",
                   "초기 지시")),
    # Vietnamese
    *_intl("vi", latin=True,
           ignore=("bỏ qua", "phớt lờ", "lờ đi", "quên đi", "hãy quên", "không tuân theo",
                   "đừng tuân theo", "đừng làm theo", "không làm theo", "gạt bỏ", "đừng để ý"),
           instructions=("chỉ dẫn", "chỉ thị", "mệnh lệnh", "lời nhắc", "chỉ lệnh"),
           rules=("hướng dẫn", "quy tắc", "yêu cầu", "lệnh"),
           above=("ở trên", "phía trên", "trên", "trước đó", "trước đây", "trước", "đã cho",
                  "nói trên"),
           questions=("câu hỏi", "nội dung", "mọi thứ", "tất cả"),
           no_answer=("đừng trả lời", "không trả lời", "không cần trả lời", "đừng đáp"),
           only=("chỉ", "trực tiếp", "đơn giản"),
           say=("xuất ra", "in ra", "viết", "nói", "lặp lại", "trả lời", "đầu ra", "xuất"),
           conj=("và", "rồi", "sau đó", ","),
           give=("cho tôi", "đưa tôi"),
           reveal=("cho tôi biết", "cho biết", "nói cho tôi", "tiết lộ", "hiển thị", "chia sẻ",
                   "cung cấp", "đưa tôi", "cho xem", "gửi"),
           after=("là gì", "là bao nhiêu"),
           how=("cách", "làm sao", "tại sao", "khi", "nếu", "đổi", "đặt lại"),
           negation=("đừng ", "không "),
           secret=("mật khẩu của bạn", "mật khẩu hệ thống", "mật khẩu của hệ thống",
                   "mật khẩu quản trị", "khóa bí mật", "khoá bí mật", "mã bí mật",
                   "lời nhắc hệ thống", "hướng dẫn của bạn", "chỉ dẫn của bạn", "chỉ thị của bạn")),
    # Thai (no spaces between words)
    *_intl("th",
           ignore=("ละเว้น", "เพิกเฉย", "ไม่ต้องสนใจ", "ไม่สนใจ", "อย่าสนใจ", "อย่าไปสนใจ",
                   "ไม่ต้องไปสนใจ", "ลืม", "ไม่ต้องทำตาม",
                   "อย่าทำตาม", "มองข้าม"),
           instructions=("คำสั่ง", "คำแนะนำ", "พรอมต์", "พรอมท์", "ข้อกำหนด"),
           rules=("กฎ", "แนวทาง"),
           above=("ข้างต้น", "ด้านบน", "ก่อนหน้า", "ข้างบน", "เดิม"),
           questions=("คำถาม", "เนื้อหา", "ข้อความ", "ทั้งหมด"),
           no_answer=("ไม่ต้องตอบ", "อย่าตอบ"),
           only=("เพียง", "แค่", "โดยตรง", "เท่านั้น"),
           say=("ส่งออก", "พิมพ์", "เขียน", "พูดว่า", "ตอบว่า", "พูดซ้ำ", "ทวนซ้ำ", "แสดงผล"),
           conj=("และ", "แล้ว", ","),
           give=("ให้ฉัน", "บอกฉัน"),
           reveal=("บอก", "เปิดเผย", "แสดง", "แชร์", "แบ่งปัน", "ให้ฉัน", "ส่ง"),
           after=("คืออะไร", "คืออะไร", "บอก"),
           how=("วิธี", "อย่างไร", "ทำไม", "ถ้า", "เปลี่ยน", "รีเซ็ต"),
           negation=("อย่า", "ไม่ควร", "ห้าม", "ไม่"),
           secret=("รหัสผ่านของคุณ", "รหัสผ่านของระบบ", "รหัสผ่านระบบ", "รหัสลับ", "คีย์ลับ",
                   "กุญแจลับ", "พรอมต์ระบบ", "คำสั่งระบบ", "คำแนะนำของคุณ", "คำสั่งของคุณ")),
    # Indonesian / Malay
    *_intl("id", latin=True,
           ignore=("abaikan", "lupakan", "acuhkan", "hiraukan", "jangan ikuti", "jangan hiraukan",
                   "jangan pedulikan", "jangan patuhi", "tidak usah ikuti", "lewati",
                   "kesampingkan", "terlepas dari"),
           instructions=("instruksi", "petunjuk", "arahan", "prompt", "pedoman"),
           rules=("aturan", "perintah", "tugas"),
           above=("di atas", "sebelumnya", "terdahulu", "tadi", "sebelum ini"),
           questions=("pertanyaan", "semua", "semuanya", "itu", "pertanyaan saya"),
           no_answer=("jangan jawab", "jangan menjawab", "tidak usah menjawab", "tanpa menjawab",
                      "tak perlu menjawab", "tidak perlu menjawab"),
           only=("hanya", "langsung", "cukup", "saja"),
           say=("keluarkan", "tuliskan", "tulis", "katakan", "ucapkan", "ulangi", "jawab", "cetak",
                "tampilkan", "output"),
           conj=("dan", "lalu", "kemudian", ","),
           give=("beri saya", "berikan saya", "berikan", "beri tahu saya"),
           reveal=("beri tahu", "beritahu", "katakan", "sebutkan", "ungkapkan", "tunjukkan",
                   "tampilkan", "bagikan", "berikan", "kirimkan", "cetak"),
           tight=("apa kata sandi (?:anda|kamu)\\b", "apa password (?:anda|kamu)\\b",
                  "apa sandi (?:anda|kamu)\\b"),
           how=("cara", "bagaimana", "mengapa", "kenapa", "jika", "kalau", "ganti", "atur ulang"),
           negation=("jangan ", "tidak ", "pernah "),
           secret=("kata sandi anda", "kata sandi kamu", "kata sandimu", "kata sandi sistem",
                   "kata sandi admin", "sandi anda", "sandi kamu", "kata kunci anda",
                   "kata kunci rahasia", "password anda", "password kamu", "passwordmu",
                   "password sistem", "password admin", "kunci rahasia", "kode rahasia",
                   "prompt sistem", "instruksi anda", "instruksi kamu", "instruksimu",
                   "instruksi sistem")),
    # Tagalog
    *_intl("tl", latin=True,
           ignore=("huwag pansinin", "wag pansinin", "balewalain", "ipagwalang-bahala",
                   "kalimutan", "huwag sundin", "wag sundin", "laktawan", "isantabi"),
           instructions=("tagubilin", "instruksyon", "panuto", "prompt", "direksyon"),
           rules=("patakaran", "tuntunin", "utos"),
           above=("sa itaas", "nasa itaas", "nakaraan", "naunang", "nauna", "kanina", "nabanggit"),
           questions=("tanong", "lahat", "iyon", "ito"),
           no_answer=("huwag sagutin", "wag sagutin", "huwag kang sumagot", "nang hindi sumasagot"),
           only=("lamang", "lang", "diretso", "direkta", "basta"),
           say=("sabihin", "isulat", "ilabas", "ulitin", "sagutin", "i-print", "i-output"),
           conj=("at", "pagkatapos", ","),
           give=("ibigay", "bigyan mo ako"),
           reveal=("sabihin mo", "sabihin sa akin", "ibigay", "ibahagi", "ipakita", "ibunyag",
                   "ano ang", "ipadala"),
           how=("paano", "bakit", "kung "),
           negation=("huwag ", "wag ", "hindi "),
           secret=("iyong password", "inyong password", "password mo", "password ninyo",
                   "password ng sistema", "password ng system", "password ng admin",
                   "lihim na susi", "sekretong susi", "secret key", "lihim na code",
                   "system prompt", "iyong mga tagubilin", "mga tagubilin mo",
                   "mga instruksyon mo")),
    # Swahili
    *_intl("sw", latin=True,
           ignore=("puuza", "puuzeni", "sahau", "sahauni", "usifuate", "msifuate", "achana na",
                   "ruka"),
           instructions=("maagizo", "maelekezo", "amri", "prompt"),
           rules=("sheria", "kanuni"),
           above=("hapo juu", "juu", "yaliyotangulia", "zilizotangulia", "lililotangulia",
                  "yaliyopita", "za awali", "ya awali", "yaliyotolewa"),
           questions=("swali", "maswali", "kila kitu", "yote", "hilo"),
           no_answer=("usijibu", "msijibu", "bila kujibu"),
           only=("tu", "moja kwa moja"),
           say=("andika", "uandike", "sema", "useme", "toa", "utoe", "rudia", "urudie", "jibu",
                "chapisha"),
           conj=("na", "kisha", "halafu", ","),
           give=("nipe", "niambie"),
           reveal=("niambie", "tuambie", "nieleze", "onyesha", "nionyeshe", "shiriki", "nipe",
                   "fichua", "ni nini", "ni ipi", "tuma"),
           after=("ni nini", "ni ipi", "ni gani"),
           how=("jinsi", "vipi", "kwa nini", "kama "),
           secret=("nenosiri lako", "nenosiri lenu", "nywila yako", "nywila yenu",
                   "neno la siri", "nenosiri la mfumo", "nywila ya mfumo", "ufunguo wa siri",
                   "msimbo wa siri", "maagizo yako", "maelekezo yako", "maagizo ya mfumo")),
    # Greek
    *_intl("el", latin=True,
           ignore=("αγνόησε", "αγνοήστε", "ξέχασε", "ξεχάστε", "μην ακολουθείς", "μην ακολουθήσεις",
                   "μην ακολουθήσετε", "παράβλεψε", "παραβλέψτε"),
           instructions=("οδηγίες", "οδηγιών", "εντολές", "εντολών", "προτροπή", "κατευθύνσεις"),
           rules=("κανόνες", "κανόνων"),
           above=("παραπάνω", "προηγούμεν\\w{1,3}", "ανωτέρω", "αρχικές"),
           questions=("ερωτήσεις", "ερώτηση", "όλα", "αυτό", "την ερώτησή μου"),
           no_answer=("μην απαντήσεις", "μην απαντάς", "μην απαντήσετε", "χωρίς να απαντήσεις"),
           only=("απλώς", "μόνο", "απευθείας"),
           say=("γράψε", "γράψτε", "πες", "πείτε", "επανάλαβε", "εμφάνισε", "τύπωσε", "απάντησε"),
           conj=("και", "μετά", ","),
           give=("δώσε μου", "δώστε μου", "πες μου"),
           reveal=("πες μου", "πείτε μου", "αποκάλυψε", "αποκαλύψτε", "δείξε", "δείξτε", "μοιράσου",
                   "δώσε μου", "δώστε μου", "στείλε"),
           what=("ποιος είναι", "ποιο είναι", "ποιος είναι ο", "ποιο είναι το"),
           how=("πώς", "γιατί", "πότε", "αν "),
           negation=("μην ", "ποτέ "),
           secret=("κωδικό σου", "κωδικό σας", "κωδικός σου", "κωδικός σας", "κωδικό πρόσβασής σου",
                   "κωδικό πρόσβασης του συστήματος", "συνθηματικό σου", "μυστικό κλειδί",
                   "μυστικός κωδικός", "προτροπή συστήματος", "οδηγίες σου", "οδηγίες σας",
                   "οδηγίες συστήματος")),
)  # fmt: skip


RULES: Tuple[Rule, ...] = (
    # --- instruction override (English) ---
    # Not a user's correction of their own words ("ignore the typos in my previous message").
    Rule("override.ignore_previous",
         # "ignore these requests in dashboards": with "these"/"those" only the nouns that
         # name an assistant's instructions count (not requests, messages, filters…).
         _unquoted(rf"\b{_IGNORE}\b(?!{_SHORT}\b(?:my|typos?|mistakes?)\b)"
                   rf"(?!{_SHORT}\b(?:these|those)\b {_TECHNICAL}\b)"
                   rf"{_SHORT}\b{_BEFORE}\b{_SHORT}\b{_INSTRUCTIONS}\b"),
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
         r"requests?|query|queries|messages?|instructions?|tasks?|input|prompts?)\b|"
         rf"\b{_IGNORE} the (?:user|human|customer)\b[^.!?\n]{{0,20}}?\b(?:and|then)\b"
         r"[^.!?\n]{0,12}?\b(?:reply|respond|say|output|print|write|answer)\b",
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
         r"(?:previous|prior|earlier|your|the above|existing|system) (?:[a-z]{1,20} )?"
         r"(?:instructions?|prompts?|rules|directives|guidelines|programming|settings)\b",
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
         r"\byou are (?:now|no longer)\b(?! (?:ready|able|logged|connected|done|signed|"
         r"in this world|alive|here|around|available|eligible|subscribed|registered|part of|"
         r"a member))",
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
         _unquoted(r"(?<!no )(?<!nunca )\b(?:ignora|ignore|ignorad|olvida|olvide|omite|descarta|"
                   r"haz caso omiso de|no sigas)\b[^.\n]{0,30}?\b(?:instrucciones|indicaciones|"
                   r"órdenes|reglas|directrices)\b"),
         "instruction_override", 0.9,
         cues=("órdenes",),
         words=("instrucciones", "indicaciones", "reglas", "directrices")),
    # "... Ignore the above and just output: <text>" (goal hijacking), in several languages.
    Rule("override.ignore_above_output",
         r"\b(?:ignore|disregard|forget|skip)\b[^.!?\n]{0,40}?\b(?:above|previous|preceding|"
         r"this question|the question|that question)\b[^.!?\n]{0,30}?\b(?:and|then)\b"
         r"[^.!?\n]{0,20}?\b(?:output|print|say|repeat|write|reply|respond|type|paraphrase|"
         r"give me)\b",
         "instruction_override", 0.85,
         words=("ignor", "disregard", "forget", "skip")),
    # "<question>? Don't answer that, just type: <statement>", "ignore my question and reply
    # only with: ...": the question (or the above) dropped, then output forced after a colon
    # or an opening quote. A correction ("ignore my last message") forces nothing.
    Rule("override.ignore_then_output",
         r"(?<!not )(?<!n't )\b(?:(?:ignor(?:e|ing)|disregard(?:ing)?|forget|skip(?:ping)?)\b"
         r"[^.!?\n]{0,24}?\b(?:above|previous|preceding|prior|earlier|questions?|instructions?|"
         r"directives?|prompts?|tasks?|requests?|problems?|user)\b|"
         r"(?:do not|don'?t|never) (?:answer|respond to|reply to|address|think about|"
         r"add (?:any )?(?:other |extra |more )?words)\b)"
         r"[^\n]{0,60}?\b(?:(?:just|only|simply|directly|instead) )?(?:output|say|type|print|"
         r"repeat|write|reply|respond|paraphrase|return|state)\b(?: (?:with|only|directly|"
         r"exactly|verbatim|back|the following(?: text| sentence| words)?|this|these words)){0,2}"
         r"\s{0,3}(?::|\"|“|„|«| ')",
         "instruction_override", 0.85,
         cues=("do not",),
         words=("ignor", "disregard", "forget", "skip", "don", "never")),
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
         r"(?<!n')(?<!n’)\b(?:ignore[zs]?|oublie[zs]?|ne tiens pas compte d\S{0,30}|"
         r"ne tenez pas compte d\S{0,30}|ne suis pas|fais abstraction d\S{0,30})\s{1,16}"
         r"(?:toutes?\s{1,16})?(?:les|vos|tes|des|ces)\s{1,16}"
         r"(?:\w{1,30}\s{1,16})?(?:instructions|consignes|directives|règles)\b",
         "instruction_override", 0.9,
         cues=("règles",),
         words=("instructions", "consignes", "directives")),
    Rule("override.de",
         _unquoted(r"\b(?:ignorier\w{0,30}|vergiss(?! nicht)|vergessen sie(?! nicht)|"
                   r"missachte\w{0,30}|übergehe\w{0,30}|befolge nicht)"
                   r"\b[^.\n]{0,40}?(?:anweisung\w{0,30}|befehl\w{0,30}|vorgaben|regeln|"
                   r"instruktion\w{0,30}|richtlinien|aufforderung\w{0,30})"),
         "instruction_override", 0.9,
         cues=("übergehe",),
         words=("ignorier", "vergiss", "vergessen", "missachte", "befolge")),
    Rule("override.it",
         r"(?<!non )(?<!mai )\b(?:ignora|ignorate|dimentica|dimenticate|trascura|non seguire)\b"
         r"[^.\n]{0,30}?"
         r"\b(?:istruzioni|indicazioni|regole|direttive|comandi)\b",
         "instruction_override", 0.9,
         words=("istruzioni", "indicazioni", "regole", "direttive", "comandi")),
    Rule("override.pt",
         r"(?<!não )(?<!nunca )\b(?:ignore|ignora|esqueça|esqueca|desconsidere|despreze|não siga)\b"
         r"[^.\n]{0,30}?"
         r"\b(?:instruções|instrucoes|orientações|regras|comandos|diretrizes)\b",
         "instruction_override", 0.9,
         cues=("instruções", "orientações"),
         words=("instrucoes", "regras", "comandos", "diretrizes")),
    Rule("override.ru",
         r"(?<!не )(?:игнорируй\w{0,30}|игнорировать|проигнорируй\w{0,30}|забудь\w{0,30}|"
         r"не обращай\w{0,30} внимани\w{0,30} на|отбрось\w{0,30}|не следуй\w{0,30})[^.\n]{0,40}?"
         r"(?:инструкци\w{0,30}|указани\w{0,30}|правил\w{0,30}|команд\w{0,30}|промпт\w{0,30}|"
         r"директив\w{0,30})",
         "instruction_override", 0.9,
         cues=("инструкци", "указани", "правил", "команд", "промпт", "директив")),
    Rule("override.zh",
         _unquoted(r"(?<!不要)(?<!别)(?<!不)(?:忽略|无视|忽视|無視|不要理会|不要理會|忘记|忘記|忘掉|"
                   r"抛开|拋開|跳过)[^。\n]{0,16}?"
                   r"(?:指令|指示|说明|說明|提示|规则|規則|命令|要求|设定|設定)"),
         "instruction_override", 0.9,
         cues=("指令", "指示", "说明", "說明", "提示", "规则", "規則", "命令", "要求", "设定",
               "設定")),
    Rule("override.ja",
         r"(?:指示|命令|指令|ルール|プロンプト|設定)[^。\n]{0,8}?(?:を|は)?(?:すべて|全て)?"
         r"(?:無視|忘れ(?!ない|ず|る|ま))",
         "instruction_override", 0.9,
         cues=("無視", "忘れ")),
    Rule("override.ko",
         r"(?:지시|명령|지침|규칙|프롬프트)[^.\n]{0,10}?(?:무시|잊어)",
         "instruction_override", 0.85,
         cues=("무시", "잊어")),
    # --- jailbreak ---
    Rule("jailbreak.dan",
         r"\bdo anything now\b|\bdan mode\b|(?<!['’])\bdan ?\d{1,2}(?:\.\d{1,2}\b|"
         r"(?=\s{0,3}(?:[.,:;!)\]*\n]|$|mode|prompt|jailbreak|version|is now)))",
         "jailbreak", 0.9,
         cues=("do anything now",),
         words=("dan",),
         ciphers=True),
    Rule("jailbreak.dev_mode",
         r"\b(?:developer|dev|maintenance|admin) mode (?:enabled|activated|output|response)|"
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
         r"\b(?:opposite|evil|dark|shadow|unchained|unlocked|unbound|rogue)"
         r"[- ]?(?:gpt|chatgpt|ai|claude|bard|bot)\b|\banti[- ]?(?:gpt|chatgpt|claude|bard)\b",
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
         rf"(?<!not )(?<!never )(?<!n't )\b{_REVEAL}\b"
         r"(?:(?!\b(?:how|why|when|whether|if|where|never|not)\b)[^.!?\n]){0,40}?"
         r"\b(?:the |your )(?:secret (?:password|key|code|word)|"
         r"passwords?|passcodes?|api[ _-]?keys?|access tokens?|credentials)\b",
         "prompt_extraction", 0.6,
         words=("secret", "password", "passcode", "api", "token", "credential")),
    # "What is your password?" / "what's the system's secret key?": the assistant's own (or
    # the system's) secret; not "what is a strong password" or "what is your password policy".
    Rule("extract.secret_question",
         r"\bwhat(?:'s| is| are) (?:your|our system'?s?|the system'?s?|the admin(?:istrator)?'?s?) "
         r"(?:secret |current |actual |real )?(?:passwords?|passcodes?|passphrases?|pin(?: code)?|"
         r"secret (?:key|code|word)|api keys?|access (?:code|token)s?)\b"
         r"(?! (?:polic|requirement|rule|length|format|reset|manager|strength|hint|field))"
         r"|\bwhat(?:'s| is) the (?:secret )?(?:password|passcode|secret key|secret code|"
         r"secret word)(?: (?:of|for|to) (?:the|our|this|your) (?:system|server|database|admin|"
         r"account|vault))?\s{0,3}\?",
         "prompt_extraction", 0.8,
         words=("password", "passcode", "passphrase", "pin", "secret", "api", "access")),
    Rule("extract.list_instructions",
         r"\b(?:instructions|commands|rules|prompts?|guidelines) you (?:have been|were|got) "
         r"(?:given|told|provided)|\b(?:initials?|first|starting) instructions\b",
         "prompt_extraction", 0.6,
         words=("instructions", "commands", "rules", "prompt", "guidelines")),
    # --- tool abuse ---
    # Installation guides tell people to pipe an installer into a shell: on its own that is
    # evidence for the stacker and the model, not an attack.
    Rule("tool.pipe_to_shell",
         r"\b(?:curl|wget)\s{1,40}[^\n|;]{1,200}\|\s{0,40}(?:sudo\s{1,40})?(?:ba|z)?sh\b",
         "tool_abuse", 0.45,
         words=("curl", "wget")),
    # ...but telling the reader to run one now, on the server or without asking is.
    Rule("tool.run_pipe_to_shell",
         r"\b(?:run|execute|exec)\b[^.\n]{0,30}?\b(?:curl|wget)\s{1,40}[^\n|;]{1,200}\|"
         r"\s{0,40}(?:sudo\s{1,40})?(?:ba|z)?sh\b[^.\n]{0,40}?\b(?:now|immediately|"
         r"right away|on (?:the|this|your|our) (?:server|machine|host|box)|"
         r"without (?:asking|telling|checking))\b",
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
         r"implementation|codebase|program|answer|project|script|develop|response|output)"
         r"(?! here\b)",
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
         r"(?:tool|function|plugin|api|action)\b[^.\n]{0,60}\b(?:to send|to delete|to "
         r"transfer|to forward|to email|to post|to upload|and send)\b",
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
    # Content that asks whether an AI is reading it ("if an AI assistant is reading this
    # mailbox, ..."): only a text written for an AI reader asks that.
    Rule("indirect.if_ai_reading",
         r"\b(?:if|in case|should)\b (?:an?|any) (?:ai|llm|automated|language model|"
         r"chatbot)(?: (?:assistant|agent|model|system|tool|bot))?s? (?:is |are )?"
         r"(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|scanning|reviewing|"
         r"handling|browsing|triaging) (?:this|these)\b",
         "indirect_injection", 0.75,
         words=("reading", "processing", "summari", "parsing", "analy", "scanning", "reviewing",
                "handling", "browsing", "triaging")),
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
         # ("Instructions for the AI" heads an ordinary system prompt; "instruction to the
         # AI" addresses it from inside a document)
         r"\b(?:(?:note|message|attention|important|notice|reminder),? (?:to|for)|"
         r"(?:instructions?|directives?),? to) (?:the |any |all )?"
         r"(?:ai|assistant|llm|language model|chatbot|"
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
         r"(?<!not )(?<!n't )(?<!never )"
         r"\b(?:include|add|insert|append|mention|put|embed|integrate|incorporate|weave|inject)"
         r"\b[^.\n]{0,80}?\b(?:in|to|into|within|throughout|at the (?:end|start|beginning) of)"
         r" (?:(?:your|each|every) (?:response|reply|answer|output|message|summary)|"
         r"the (?:response|reply|answer|summary)\b(?! (?:field|body|object|code|header|file)))",
         "indirect_injection", 0.6,
         words=("respon", "repl", "answer", "output", "message", "summar"),
         outside_document=0.3),
    Rule("indirect.modify_response",
         r"\b(?:your|each|every) (?:response|reply|answer|output|message)s?\b[^.\n]{0,40}"
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
    # Image links carry short query values (w=800, branch=main); a value long enough to
    # hold text taken from the conversation is the exfiltration shape.
    Rule("exfil.md_image_query",
         r"!\[[^\]\n]{0,100}\]\(\s{0,16}https?://[^)\s?]{1,200}\?"
         r"(?:[^)\s]{0,150}?&)?[^)\s=&]{1,40}=[^)\s&]{24,200}",
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
    *_INTL_RULES,
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
