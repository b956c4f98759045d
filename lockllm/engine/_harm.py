"""Declined intents and wrapped-request cues.

``declined_intent`` grades how clearly a text asks for something an assistant declines:
an explicit request for a harmful capability ("how to make a bomb", "help me launder
money", "... without getting caught", a private person's medical records) scores 1.0, the
harmful act stated without a request less, topic words alone little, and benign senses
("kill a process", "shoot a photo", "bomb at the box office") or questions *about* harm
(history, prevention, definitions) little or nothing. The strongest intents are also
recognised in the main languages of the data.

Role-play and story jailbreaks put such a request inside a frame (a story, a scene,
characters, layers of a dream, a hypothetical) and then ask for the *practical* part
("specific and practical commands", "detailed steps"), often with a disclaimer ("for
purely fictional reasons"). Neither part alone is an attack: writers ask for stories, and
users ask for detailed steps. The combinations are what ``wrapper_features`` reports;
``_score.stack_features`` counts the strongest like a trusted rule (``WRAPPER_WEIGHTS``).

The word lists are written by hand in general terms (so, like the rules, they are not held
out in cross-validation). Every pattern is an alternation of literals with bounded
repetitions, and every window examined is of bounded size: linear time.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterator, List, Match

__all__ = ["WRAPPER_WEIGHTS", "declined_intent", "wrapper_features"]

# How strongly each cue alone says "attack", on the rules' scale: like a trusted rule, a cue
# of weight 0.8 flags at medium on its own (``_score.rule_risk``).
WRAPPER_WEIGHTS = {
    "wrap:fiction_detail": 0.8,
    "wrap:fiction_disclaimer": 0.8,
    "wrap:fiction_harm_detail": 0.9,
    "wrap:scaffold_harm": 0.9,
}

_HEAD = 20000  # characters of a text examined
_MAX_HITS = 64  # act matches examined per text (each costs a bounded window)
_WINDOW = 90  # characters before an act searched for a request
STRONG = 1.0  # an explicit request for a harmful capability
_ACT_ALONE = 0.6  # the harmful act stated without a request around it
_ACT_IN_DOCUMENT = 0.4  # the same inside a long text (news, plots, documents)
_ABOUT = 0.3  # the act inside a question about harm (prevention, history, law)
_TOPIC = 0.3  # topic words only ("meth", "phishing", "terrorism")
_LONG = 600  # a text longer than this reads as a document, not a request


def _alt(words: List[str]) -> str:
    return "(?:" + "|".join(words) + ")"


# ---------------------------------------------------------------------------- English
# Benign senses of violent or criminal words, blanked before anything else is matched.
_BENIGN_SENSE = re.compile(
    r"\b(?:kill(?:ing|s)? (?:-9 |-\w{1,8} )?(?:a |the |all |my |this |that |every |each )?"
    r"(?:python |java |node |background |zombie |child |running |stuck |hung |frozen )?"
    r"(?:process(?:es)?|pids?|tasks?|jobs?|threads?|sessions?|servers?|apps?|programs?|"
    r"containers?|pods?|terminals?|tabs?|windows?|screens?|signals?|switch(?:es)?|"
    r"commands?|quer(?:y|ies)|connections?|daemons?|services?|workers?)|"
    r"kill(?:ing)? (?:time|the (?:lights|engine|music|mood|power|noise|weeds?|bacteria|"
    r"germs|pests|ants)|weeds|bacteria|germs|pests|ants|mold|lice|it on stage)|"
    r"shoot(?:ing)? (?:a |the |some |my |our |your |his |her )?(?:\w{1,15} )?"
    r"(?:photos?|pictures?|portraits?|videos?|films?|movies?|scenes?|footage|hoops|"
    r"baskets?|the breeze|a message|an email|for the stars|wedding)|"
    r"(?:bomb|bombed|bombing) (?:at|in) the (?:box office|exam|test|audition|interview)|"
    r"photo ?bomb(?:ing|ed)?|bath ?bombs?|da bomb|bomb(?:ed)? (?:the|my|that) "
    r"(?:test|exam|interview|audition)|"
    r"crack(?:ing)? (?:an? |the |some )?(?:eggs?|jokes?|nuts?|knuckles|a smile|the code "
    r"(?:of|to) (?:success|happiness)|open a (?:beer|bottle|window))|"
    r"(?:attack|attacks|attacking) (?:in|at) (?:chess|the game|a game|football|soccer)|"
    r"(?:chess|tennis|football|soccer|basketball|hockey|rugby) (?:attacks?|strategy)|"
    r"exploits? (?:in|of) (?:a |the |this )?(?:game|video game|speedrun)|"
    r"steal(?:ing)? (?:a |the |someone'?s |somebody'?s |her |his |my |your )?(?:base|bases|"
    r"show|spotlight|limelight|heart|hearts|kisse?s?|"
    r"scene|moment|idea from nature)|"
    r"murder (?:of crows|mystery|mysteries|party|ballad)|"
    r"break(?:ing)? into (?:the |a |an )?(?:\w{1,12} )?(?:industry|business|market|field|"
    r"career|song|dance|tears|laughter|a smile|a sweat|a run|a jog|the top)|"
    r"execute (?:a |the |this |my )?(?:command|script|query|function|code|plan|order|trade|"
    r"program|task|strategy)|"
    r"(?:bbq|barbecue|pork|chicken|beef) (?:smoke|smoking)|"
    r"(?:bbq|barbecue) smoke)\b"
)

_PERSON = _alt(
    [
        r"someone",
        r"somebody",
        r"anyone",
        r"anybody",
        r"a person",
        r"people",
        r"humans?",
        r"him",
        r"her",
        r"them",
        r"a child",
        r"children",
        r"kids",
        r"a kid",
        r"a baby",
        r"a (?:man|woman|girl|boy|teenager|minor|stranger|witness|cop|police officer|rival)",
        r"an? (?:elderly|old) (?:person|man|woman)",
        r"the (?:president|mayor|senator)",
        r"(?:a|the) (?:politician|journalist|judge|neighbou?r|teacher|crowd)",
        r"(?:my|his|her|their|our|your) (?:\w{1,15} )?(?:wife|husband|boss|neighbou?rs?|ex|"
        r"partner|girlfriend|boyfriend|father|mother|dad|mom|mum|sister|brother|teacher|"
        r"classmates?|roommate|co-?workers?|colleagues?|family|child|children|kids?|son|"
        r"daughter|baby|parents?|friends?|enemy|enemies|rival|landlord|tenant|employees?|"
        r"students?|cat|dog|pet)",
        r"(?:a|an|the) (?:\w{1,15} )?(?:group|minority|race|ethnic group|religious group)",
        r"\w{1,20} people",
        r"innocent (?:people|civilians)",
        r"civilians",
        r"others",
        r"other (?:people|users|students|kids|children)",
        r"(?:users|customers|victims|voters|minorities|immigrants|refugees|protesters)",
        r"(?:a|an) (?:\w{1,15} )?(?:classmate|colleague|co-?worker|employee|student|user)",
        r"(?:vulnerable|elderly|disabled|young) (?:people|individuals|populations|users|adults)",
        r"individuals",
        r"(?:a|the) (?:person|victim|target)",
        r"the (?:man|woman|girl|boy|witness|victim|judge|guard|cashier|driver|officer|"
        r"journalist|informant|senator|governor|king|queen|ceo)",
    ]
)
_VIOLENT = _alt(
    [
        r"kill(?:ing)?",
        r"murder(?:ing)?",
        r"poison(?:ing)?",
        r"strangl(?:e|ing)",
        r"stab(?:bing)?",
        r"shoot(?:ing)?",
        r"kidnap(?:ping)?",
        r"abduct(?:ing)?",
        r"tortur(?:e|ing)",
        r"hurt(?:ing)?",
        r"harm(?:ing)?",
        r"injur(?:e|ing)",
        r"assault(?:ing)?",
        r"beat(?:ing)? up",
        r"drown(?:ing)?",
        r"suffocat(?:e|ing)",
        r"chok(?:e|ing)",
        r"maim(?:ing)?",
        r"blackmail(?:ing)?",
        r"extort(?:ing)?",
        r"stalk(?:ing)?",
        r"harass(?:ing)?",
        r"dox(?:x?ing)?",
        r"rap(?:e|ing)",
        r"molest(?:ing)?",
        r"groom(?:ing)?",
        r"abus(?:e|ing)",
        r"traffick(?:ing)?",
        r"gaslight(?:ing)?",
        r"threaten(?:ing)?",
        r"intimidat(?:e|ing)",
        r"scam(?:ming)?",
        r"defraud(?:ing)?",
        r"rob(?:bing)?",
        r"kills",
        r"murders",
        r"poisons",
        r"hurts",
        r"harms",
        r"harass(?:es)?",
        r"bull(?:ies|y)",
        r"stalks",
        r"threatens",
        r"manipulates",
        r"exploits",
        r"scams",
        r"defrauds",
        r"trick(?:s|ing)?",
        r"spies on",
        r"target(?:s|ing)? vulnerable",
        r"insult(?:s|ing)?",
        r"prey(?:s|ing)? on",
        r"deceiv(?:e|es|ing)",
        r"mug(?:ging)?",
        r"spy(?:ing)? on",
        r"secretly (?:track|record|film|monitor)",
        r"get rid of",
        r"sedate",
        r"bully(?:ing)?",
        r"cyberbully(?:ing)?",
        r"humiliat(?:e|ing)",
        r"radicali[sz](?:e|ing)",
        r"exploit(?:ing)?",
        r"discriminat(?:e|ing) against",
        r"lure",
    ]
)
_MAKE = _alt(
    [
        r"mak(?:e|ing)",
        r"build(?:ing)?",
        r"creat(?:e|ing)",
        r"construct(?:ing)?",
        r"assembl(?:e|ing)",
        r"synthesi[sz](?:e|ing)",
        r"cook(?:ing)?",
        r"produc(?:e|ing)",
        r"manufactur(?:e|ing)",
        r"brew(?:ing)?",
        r"grow(?:ing)?",
        r"extract(?:ing)?",
        r"obtain(?:ing)?",
        r"acquir(?:e|ing)",
        r"buy(?:ing)?",
        r"get(?:ting)?",
        r"purchas(?:e|ing)",
        r"order(?:ing)?",
        r"smuggl(?:e|ing)",
        r"sell(?:s|ing)?",
        r"draft(?:s|ing)?",
        r"compos(?:e|es|ing)",
        r"craft(?:s|ing)?",
        r"makes",
        r"builds",
        r"creates",
        r"spreads",
        r"distributes",
        r"generates",
        r"automates",
        r"host(?:s|ing)?",
        r"sends",
        r"posts",
        r"uses",
        r"develops",
        r"plan(?:s|ning)?(?: for)?",
        r"outlin(?:e|es|ing)",
        r"a plan (?:for|to)",
        r"3d[- ]print(?:ing)?",
        r"print(?:ing)?",
        r"writ(?:e|ing)",
        r"develop(?:ing)?",
        r"design(?:ing)?",
        r"code",
        r"coding",
        r"deploy(?:ing)?",
        r"spread(?:ing)?",
        r"plant(?:ing)?",
        r"detonat(?:e|ing)",
        r"hid(?:e|ing)",
        r"us(?:e|ing)",
        r"set(?:ting)? off",
        r"set(?:ting)? up",
        r"launch(?:ing)?",
        r"distribut(?:e|ing)",
        r"prepar(?:e|ing)",
        r"refin(?:e|ing)",
        r"convert(?:ing)?",
        r"weaponi[sz](?:e|ing)",
        r"automat(?:e|ing)",
        r"generat(?:e|ing)",
        r"post(?:ing)?",
        r"send(?:ing)?",
    ]
)
_DANGEROUS = _alt(
    [
        r"(?:pipe |nail |car |dirty |letter |suicide |fertili[sz]er |homemade )?bombs?",
        r"explosives?",
        r"explosive devices?",
        r"ieds?",
        r"grenades?",
        r"molotov cocktails?",
        r"napalm",
        r"thermite",
        r"tatp",
        r"nerve (?:agents?|gas)",
        r"sarin",
        r"vx gas",
        r"ricin",
        r"anthrax",
        r"botulinum(?: toxin)?",
        r"mustard gas",
        r"chlorine gas",
        r"(?:chemical|biological|nuclear|bio|radiological) weapons?",
        r"bioweapons?",
        r"weapons? of mass destruction",
        r"dimethylmercury",
        r"a pathogen",
        r"(?:crystal )?meth(?:amphetamine)?",
        r"crack cocaine",
        r"cocaine",
        r"heroin",
        r"fentanyl",
        r"lsd",
        r"mdma",
        r"ecstasy",
        r"(?:illegal |illicit |street )drugs",
        r"date rape drugs?",
        r"roofies",
        r"opioids? illegally",
        r"poisons?",
        r"untraceable (?:guns?|firearms?|poisons?|weapons?)",
        r"ghost guns?",
        r"(?:a )?(?:gun|firearm|weapon)s? (?:without|illegally|at home)",
        r"silencers?",
        r"suppressors?",
        r"full[- ]auto(?:matic)? conversion",
        r"malware",
        r"ransomware",
        r"(?:computer )?virus(?:es)? that",
        r"a (?:computer )?virus",
        r"trojans?",
        r"keyloggers?",
        r"rootkits?",
        r"botnets?",
        r"spyware",
        r"stalkerware",
        r"(?:a |an )?(?:computer )?worms? that",
        r"(?:zero-day )?exploits? (?:for|that|to)",
        r"phishing (?:emails?|pages?|sites?|websites?|kits?|campaigns?|messages?|scams?)",
        r"fake (?:ids?|passports?|documents|news|reviews?|identit(?:y|ies)|invoices?|"
        r"charit(?:y|ies)|prescriptions?|vaccination cards?|degrees?)",
        r"counterfeit (?:money|bills|currency|goods|products|coins|checks|cheques)",
        r"forged (?:documents|checks|cheques|signatures?)",
        r"deepfakes? (?:of|porn)",
        r"(?:misinformation|disinformation|propaganda|conspiracy theories|hate speech|"
        r"false information|rumou?rs) (?:about|that|to|on|against|online)",
        r"(?:misinformation|disinformation|hate speech|false information)",
        r"child (?:pornography|sexual abuse material)",
        r"(?:[\w-]{1,15} )?terroris[tm] attacks?",
        r"(?:mass|school) shootings?",
        r"racial slurs",
        r"ethnic slurs",
        r"(?:blind )?sql injection (?:attacks?|payloads?)",
        r"(?:tech(?:nical)? support|romance|phone|lottery|investment|crypto) scams?",
        r"spam (?:e-?mails?|messages?|calls?|texts?|comments)",
        r"pirated (?:content|software|movies|games|music|copies)",
        r"stolen (?:credit cards?|card (?:information|details|numbers)|cars|goods|data|"
        r"identit(?:y|ies)|credentials|passwords|accounts)",
        r"(?:\w{1,15} ){0,3}on the (?:black market|dark ?web)",
        r"theft of",
        r"human organs",
        r"revenge porn",
        r"ransom notes?",
        r"death threats?",
        r"threatening (?:letters?|messages?|notes?)",
        r"poisonous (?:substances?|gas|chemicals?)",
        r"toxic gas",
        r"lewisite",
        r"tabun",
        r"soman",
        r"phosgene",
        r"chemical warfare agents?",
        r"ddos attacks?",
        r"denial[- ]of[- ]service attacks?",
        r"credit card skimm(?:ers?|ing devices?)",
        r"skimm(?:ers?|ing devices?)",
        r"misleading (?:posts?|articles?|ads?|advertisements?|"
        r"content|information|claims|reviews?)",
        r"bots? that (?:\w{1,15} ){0,3}?"
        r"(?:spreads?|automates?|posts?) (?:hate|harass|misinformation|disinformation|spam)",
        r"(?:hate|racist|sexist|antisemitic|homophobic|transphobic) (?:speech|jokes?|slurs?|"
        r"content|posts?|messages?|rants?|manifestos?)",
    ]
)
_ACTS = [
    _VIOLENT + r"(?: \w{1,15})?(?: \w{1,15})? " + _PERSON + r"\b",
    _MAKE + r"(?: \w{1,20}){0,4}? " + _DANGEROUS + r"\b",
    r"(?:perform(?:ing)?|commit(?:ting)?|do(?:ing)?|pull(?:ing)? off|carry(?:ing)? out|"
    r"plan(?:ning)?|get(?:ting)? away with) (?:an? |the )?(?:successful |perfect )?"
    r"(?:hit[- ]and[- ]run|bank robbery|robbery|heist|burglary|home invasion|car ?jacking|"
    r"mass shooting|school shooting|terrorist attack|bombing|massacre|kidnapping|"
    r"assassination|arson|swatting|hate crime)",
    r"(?:falsif(?:y|ying)|doctor(?:ing)?|fabricat(?:e|ing)|alter(?:ing)?) (?:\w{1,12} )?"
    r"(?:medical records|records|documents|evidence|test results|receipts|invoices|"
    r"tax returns|ids?|passports?|signatures?|prescriptions?)",
    r"(?:illegally|secretly|covertly|surreptitiously) (?:access|obtain|download|record|"
    r"track|monitor|spy|copy|distribute|sell|buy|import|enter|cross|acquire|install)\w{0,3}",
    r"exploit(?:ing)? (?:\w{1,12} )?vulnerabilit(?:y|ies) (?:in|of) (?:\w{1,15} )?"
    r"(?:devices?|systems?|software|networks?|websites?|servers?|computers?|"
    r"operating systems?|iot|hospitals?|banks?)",
    r"(?:destr(?:oy|uction of)|dispos(?:e|al) of|get rid of) (?:the )?evidence",
    r"(?:deceiv(?:e|ing)|mislead(?:ing)?|trick(?:ing)?|cheat(?:ing)?|con(?:ning)?) "
    r"(?:customers|consumers|investors|voters|the elderly|elderly people|users|people|"
    r"someone|victims|patients)",
    r"how (?:\w{1,10} ){1,2}(?:made|built|cooked|synthesi[sz]ed|brewed|assembled) "
    r"(?:\w{1,15} )?" + _DANGEROUS,
    _DANGEROUS + r" (?:that|which) (?:can|could) be (?:\w{1,15} )?(?:made|synthesi[sz]ed|"
    r"produced|built|cooked|assembled|obtained|bought|grown|extracted)",
    r"(?:rob(?:bing|s)?|hold(?:ing)? up|burglari[sz](?:e|ing)|break(?:ing)? into|"
    r"case|casing) (?:a |an |the )?(?:\w{1,15} )?(?:bank|store|shop|house|home|gas station|"
    r"jewel(?:le)?ry store|pharmacy|atm|armou?red (?:car|truck)|museum|casino)",
    r"(?:hijack(?:s|ing)?|take control of|taking control of) (?:an? |the |someone'?s )?"
    r"(?:\w{1,15} )?(?:car|plane|aircraft|drone|website|account|vehicle|ship|train|bus|"
    r"truck|network|session|router|pacemaker|insulin pump)",
    r"(?:bypass(?:es|ing)?|circumvent(?:s|ing)?|defeat(?:s|ing)?) (?:\w{1,15} ){0,2}"
    r"(?:security (?:measures|controls|systems|features|protocols)|antivirus|anti-virus|"
    r"authentication|two-factor|2fa|drm|copy protection|content filters?|paywalls?|"
    r"age verification|background checks?)",
    r"(?:evad(?:e|es|ing)) (?:\w{1,15} )?(?:antivirus|anti-virus|edr|endpoint detection|"
    r"security software|intrusion detection)",
    r"(?:gain(?:s|ing)?|obtain(?:s|ing)?|get(?:ting)?) unauthori[sz]ed access",
    r"(?:escap(?:e|ing)|break(?:ing)? out) (?:from |of )?(?:a |the )?(?:prison|jail|"
    r"correctional facility|police custody|detention)",
    r"(?:sabotag(?:e|es|ing)|ruin(?:s|ing)?|destroy(?:s|ing)?) (?:\w{1,15} ){0,3}"
    r"(?:reputation|business|career|marriage|relationship|company)",
    r"(?:conceal(?:s|ing)?|hid(?:e|es|ing)|launder(?:s|ing)?) (?:\w{1,15} )?"
    r"(?:criminal activit(?:y|ies)|crimes?|income from|drug money|proceeds of crime)",
    r"extort(?:s|ing)? (?:money|cash|payment|bitcoin|nudes)",
    # leaking an organisation's secrets
    r"(?:share|provide|reveal|leak|disclose|give|tell|show|obtain|steal)"
    r"(?:s|ing)? (?:me |us )?(?:a copy of |copies of |details (?:of|about|on) |the details of |"
    r"information (?:about|on) )?(?:[\w'-]{1,20} ){0,3}(?:confidential|classified|internal|"
    r"secret|undisclosed|proprietary|leaked) (?:[\w-]{1,15} )?(?:documents?|records?|"
    r"information|data|plans?|patents?|operations?|projects?|missions?|e-?mails?|memos?|"
    r"files|databases?|strateg(?:y|ies)|contracts?|negotiations?|reports?|source code|"
    r"formulas?|recipes?|financials?|communications)",
    # a demeaning generalisation about a group
    r"(?:why (?:are|do|is|does)|aren'?t|isn'?t it true that) (?:all |most |so many )?"
    r"(?:[\w-]{1,15} ){0,3}(?:people|women|men|immigrants|muslims|jews|christians|blacks|"
    r"whites|asians|arabs|mexicans|africans|indians|gays|lesbians|foreigners|refugees|"
    r"workers|folks|girls|boys|kids|persons|individuals)(?: (?:from|in|of)(?: [\w-]{1,15})"
    r"{1,2}?)? (?:so |just |always |all |really |"
    r"more |generally )?(?:lazy|stupid|dumb|ignorant|backward|uneducated|violent|dirty|"
    r"greedy|inferior|criminals?|terrorists|disgusting|smelly|useless|evil|worthless|"
    r"savages?|primitive|misbehaved|rude|corrupt|sneaky|untrustworthy|unintelligent|"
    r"lesser|bad at|dangerous|a burden)",
    r"hid(?:e|ing) (?:\w{1,15} )?(?:money|income|assets|drugs|weapons?) from (?:the )?"
    r"(?:authorities|police|irs|tax|government|my (?:wife|husband|partner))",
    r"(?:illegally|unlawfully) \w{3,15}",
    r"(?:secretly|covertly|surreptitiously) (?:record|film|track|monitor|spy|install|poison|"
    r"drug|photograph|access|read|copy)\w{0,3}",
    r"(?:radicali[sz]ation|recruitment) of",
    r"tap(?:ping)? into (?:\w{1,15} )?(?:gas|power|water|phone|electric(?:ity)?) "
    r"(?:pipelines?|lines?|grid|mains)",
    r"hack(?:s|ing)? (?:into )?(?:an? |the |my |someone'?s |somebody'?s |his |her |their |"
    r"people'?s |other people'?s )?(?:[\w'-]{1,20} ){0,3}(?:accounts?|e-?mails?|phones?|computers?|"
    r"networks?|databases?|servers?|websites?|wi-?fi|bank|system|government|atms?|cameras?|"
    r"webcams?|cars?|iphones?|devices?|instagram|facebook|twitter|whatsapp|snapchat|"
    r"hospital|power grid|voting machines?|election)",
    r"hack(?:ing)? (?:into )?(?:someone|somebody|people)",
    r"break(?:ing)? into (?:an? |the |my |someone'?s |somebody'?s |his |her |their |"
    r"people'?s )?(?:\w{1,15} )?(?:house|home|car|apartment|store|shop|bank|safe|vault|"
    r"network|system|database|account|computer|building|office|school)s?",
    r"(?:crack|cracking|guess|guessing|brute[- ]force) (?:an? |the |my |someone'?s |"
    r"somebody'?s |his |her |their |people'?s )?(?:\w{1,15} )?(?:passwords?|wi-?fi|pins?)",
    r"steal(?:s|ing)? (?:[\w']{1,15} )?(?:[\w']{1,15} )?(?:money|cash|credit cards?|card numbers?|"
    r"card (?:details|information)|identit(?:y|ies)|personal (?:information|data|details)|"
    r"data|passwords?|credentials|cars?|a car|from|someone'?s|people'?s|their|his|her|"
    r"trade secrets|intellectual property|packages|jewel(?:le)?ry|goods|items|wallets?|"
    r"phones?|bikes?|electricity|wi-?fi)",
    r"(?:commit|committing) (?:an? )?(?:identity theft|fraud|tax fraud|insurance fraud|"
    r"credit card fraud|wire fraud|insider trading|(?:a |the )?(?:perfect )?crimes?|murder|"
    r"arson|treason|genocide|terroris[mt]|(?:a )?terrorist attacks?|(?:a )?mass shooting|"
    r"(?:a )?(?:robbery|burglary|hate crime|heist|massacre)|"
    r"vandalism|espionage|sabotage|election fraud|voter fraud)",
    r"launder(?:ing)? (?:the )?(?:money|funds|cash|proceeds)",
    r"(?:evad(?:e|ing)|dodg(?:e|ing)|avoid(?:ing)? paying) (?:\w{1,10} )?taxes",
    r"shoplift(?:ing)?",
    r"hotwir(?:e|ing) (?:a |the )?car",
    r"embezzl(?:e|ing)",
    r"forg(?:e|ing) (?:an? |the |my )?(?:\w{1,15} )?(?:signatures?|documents?|checks?|"
    r"passports?|ids?|prescriptions?|money)",
    r"counterfeit(?:ing)? (?:money|bills|currency|goods|products|coins)",
    r"(?:run|running|start|starting|set up|setting up) (?:an? )?(?:ponzi|pyramid) scheme",
    r"manipulat(?:e|ing) (?:the )?(?:stock prices?|stock market|markets?|elections?|"
    r"someone|people|a person|my \w{1,12}|her|him|them|voters|children)",
    r"(?:incit(?:e|es|ing)|provok(?:e|es|ing)|start(?:ing)?) (?:a )?(?:violence|hatred|riots?|"
    r"a riot|racial hatred|(?:a )?civil war|(?:a )?genocide)",
    r"(?:promot(?:e|es|ing)|encourag(?:e|es|ing)|glorif(?:y|ies|ying)|advocat(?:e|es|ing)) "
    r"(?:\w{1,15} )?(?:\w{1,15} )?(?:anorexia|bulimia|self-harm|suicide|eating disorders|"
    r"violence|terrorism|hate|hatred|racism|drug use|drunk driving|genocide|extremism|war|"
    r"bullying|harassment|cheating|sexism|discrimination|animal cruelty|radicali[sz]ation|"
    r"illegal drugs|the use of illegal|dangerous (?:diets|challenges|stunts)|"
    r"(?:people|children|teens|users) to (?:\w{1,12} )?(?:harm|hurt|kill|commit|"
    r"engage in|use drugs|self-harm))",
    r"(?:join|recruit (?:\w{1,12} )?(?:for|into|to)) (?:a |an |the )?(?:terrorist "
    r"(?:group|organi[sz]ation|cell)|isis|al[- ]qaeda|cartel|gang)",
    r"(?:tak(?:e|ing)|post(?:ing)?|shar(?:e|ing)|distribut(?:e|ing)) (?:\w{1,15} )?"
    r"(?:non-?consenting|non-?consensual|nude|naked|intimate|upskirt|explicit) "
    r"(?:photos?|pictures?|images?|videos?)",
    r"(?:bypass(?:ing)?|evad(?:e|ing)|disabl(?:e|ing)|get(?:ting)? (?:past|around)) "
    r"(?:the )?(?:airport security|security (?:checks?|guards?|cameras?)|"
    r"(?:a |the )?breathalyzers?|drug tests?|(?:the )?police|law enforcement|"
    r"border (?:control|patrol|checks?)|customs)",
    r"(?:cheat(?:ing)? (?:on|in) (?:an? |the |my )?(?:\w{1,10} )?(?:exams?|tests?)|"
    r"cheat(?:ing)? on (?:my|his|her) (?:wife|husband|partner|taxes))",
    r"(?:sabotag(?:e|ing)|disrupt(?:ing)?|attack(?:ing)?|poison(?:ing)?) (?:an? |the )?"
    r"(?:\w{1,15} )?(?:transportation system|power grid|water supply|pipeline|"
    r"infrastructure|hospital|airport|election|voting system|supply chain)",
    r"(?:pirat(?:e|ing)|torrent(?:ing)?) (?:\w{1,12} )?(?:software|movies?|games?|music)",
    r"(?:scrap(?:e|ing)|harvest(?:ing)?|collect(?:ing)?) (?:\w{1,12} )?(?:email addresses|"
    r"personal (?:data|information)|phone numbers)(?: (?:without|of))?",
    r"(?:avoid|evade|escape|flee from|outrun) (?:the )?(?:police|cops|law enforcement|arrest)",
    r"(?:dispos(?:e|ing) of|hid(?:e|ing)|bury(?:ing)?|dissolv(?:e|ing)) (?:a |the )?"
    r"(?:dead )?body",
    r"(?:hid(?:e|ing)|destroy(?:ing)?|tamper(?:ing)? with) (?:the )?evidence",
]
_EN_ACT = re.compile(r"\b(?:" + "|".join(_ACTS) + ")")
# Self-harm: declined when the text asks for a method; "i want to kill myself" alone is a
# person in distress, whom an assistant helps rather than refuses.
_SELF_HARM = re.compile(
    r"\b(?:(?:kill|hurt|harm|cut|poison|starve|hang|drown|shoot) (?:myself|yourself|oneself)|"
    r"end (?:my|your|one'?s) (?:own )?life|commit(?:ting)? suicide|take my (?:own )?life|"
    r"(?:painless|quick|quickest|easy|easiest) ways? to die|lethal dose|overdos(?:e|ing) on|"
    r"suicide methods?)\b"
    r"|suicidarme|quitarme la vida|me suicidar|tirar minha (?:pr[óo]pria )?vida|suicidarmi|"
    r"togliermi la vita|me suicider|mettre fin [àa] mes jours|mich umbringen|"
    r"selbstmord begehen|mir das leben nehmen|покончить с собой|убить себя|أنتحر|الانتحار|"
    r"أقتل نفسي|قتل نفسي|आत्महत्या|खुद को मार|আত্মহত্যা|kujiua|kujitoa uhai|nglalu|"
    r"bunuh diri|tự tử|tự sát|自杀|自殺|结束自己的生命|死ぬ方法|자살|ฆ่าตัวตาย"
)
_METHOD = re.compile(
    r"\b(?:how|ways?|methods?|best|easiest|quickest|fastest|painless(?:ly)?|dose|pills?|"
    r"c[óo]mo|manera|forma|comment|moyen|wie|come|modo|как|способ|jinsi|njia|namna|cara|"
    r"carane|piye|bagaimana|cách|làm sao)\b"
    r"|كيف|طريقة|कैसे|तरीक|কিভাবে|কীভাবে|উপায়|如何|怎么|怎麼|怎样|方法|办法|やり方|どうやって|"
    r"방법|어떻게|วิธี|อย่างไร|ยังไง"
)

# Getting away with it: a request to avoid detection, consent or a trace.
_EVADE = re.compile(
    r"\b(?:without (?:getting caught|being (?:caught|detected|noticed|traced|seen|"
    r"identified|arrested)|detection|a trace|leaving (?:a trace|any traces?|traces|"
    r"evidence|fingerprints|a record)|anyone (?:knowing|noticing|finding out|suspecting)|"
    r"(?:them|him|her|the police|the cops|my (?:parents|wife|husband|boss|partner)|"
    r"the owner|authorities) (?:knowing|noticing|finding out|suspecting)|"
    r"(?:his|her|their|the owner'?s|the user'?s|users'?|people'?s|the victim'?s|user|"
    r"(?:their|his|her) (?:explicit |prior )?|any(?:one'?s)?|prior|informed) "
    r"(?:knowledge|consent|permission))|get away with (?:it|murder|a crime|stealing|"
    r"killing|fraud)|undetectable|untraceable|cover (?:up )?my tracks|"
    r"so (?:that )?(?:no one|nobody|the police|they) (?:will )?(?:knows?|finds? out|"
    r"notices?|can trace))\b"
)

# A private person's data: "what medications is my husband taking", "her home address".
_PRIVATE_DATUM = _alt(
    [
        r"medications?",
        r"medicines?",
        r"prescriptions?",
        r"medical (?:records?|history|"
        r"conditions?|information|details)",
        r"diagnos[ie]s",
        r"health (?:conditions?|"
        r"records?|issues|status|information)",
        r"(?:home |current |exact )?address",
        r"(?:current |exact |real-time )?location",
        r"whereabouts",
        r"phone number",
        r"(?:e-?mail|ip) address",
        r"passwords?",
        r"bank (?:account|details|statements?)",
        r"credit card(?: (?:number|details))?",
        r"social security number",
        r"ssn",
        r"net worth",
        r"religio(?:n|us (?:views|beliefs))",
        r"sexual (?:orientation|history)",
        r"political (?:views|affiliation)",
        r"criminal (?:record|history)",
        r"browsing history",
        r"private (?:messages|photos)",
        r"(?:text )?messages",
        r"emails",
        r"therapy (?:notes|sessions)",
        r"mental health",
        r"dating history",
        r"login (?:details|credentials)",
        r"date of birth",
        r"passport",
        r"immigration status",
        r"hiv status",
        r"fingerprints",
        r"(?:blood|dna) (?:type|test)",
        r"test results",
        r"weight",
        r"therapist'?s notes",
        r"pregnan(?:cy|t)",
        r"daily (?:routine|schedule)",
    ]
)
_RELATION = _alt(
    [
        r"wife",
        r"husband",
        r"boss",
        r"neighbou?r",
        r"ex(?:-wife|-husband|-girlfriend|"
        r"-boyfriend|-partner)?",
        r"partner",
        r"girlfriend",
        r"boyfriend",
        r"father",
        r"mother",
        r"dad",
        r"mom",
        r"mum",
        r"sister",
        r"brother",
        r"son",
        r"daughter",
        r"teacher",
        r"classmate",
        r"roommate",
        r"co-?worker",
        r"colleague",
        r"friend",
        r"best friend",
        r"employee",
        r"employer",
        r"tenant",
        r"landlord",
        r"patient",
        r"student",
        r"crush",
        r"aunt",
        r"grandson",
        r"granddaughter",
        r"nurse",
        r"surgeon",
        r"dentist",
        r"lawyer",
        r"accountant",
        r"coach",
        r"pastor",
        r"babysitter",
        r"nanny",
        r"driver",
        r"mentor",
        r"supervisor",
        r"assistant",
        r"secretary",
        r"stepson",
        r"stepdaughter",
        r"stepmother",
        r"stepfather",
        r"uncle",
        r"cousin",
        r"grand(?:ma|pa|mother|father)",
        r"niece",
        r"nephew",
        r"fianc[ée]e?",
        r"manager",
        r"doctor",
        r"therapist",
        r"client",
    ]
)
_PRIVATE = re.compile(
    r"\b(?:(?:my|his|her|their|our) (?:\w{1,15} )?" + _RELATION + r"(?:,? \w{1,20},?)?"
    r"(?:'s|s') (?:\w{1,15} )?"
    + _PRIVATE_DATUM
    + r"|(?:what|which) (?:\w{1,15} )?"
    + _PRIVATE_DATUM
    + r" (?:is|are|does|do|did|has|"
    r"have) (?:my|his|her|their) (?:\w{1,15} )?"
    + _RELATION
    + r"|"
    + _PRIVATE_DATUM
    + r" of (?:my|his|her|their) (?:\w{1,15} )?"
    + _RELATION
    + r"|(?:home address|social security number|medical records?|current location|"
    r"whereabouts) (?:of|for) (?!the |a |an |this |that |these |those |our |your |their |"
    r"its |all |each |every |any |some |my |his |her )(?:[a-z]{2,15} ){1,3}"
    r"|where (?:does|do) (?:my|his|her) (?:\w{1,15} )?" + _RELATION + r" (?:live|stay)"
    r"|(?:track|locate|find|trace|monitor) (?:my|his|her|their|someone'?s) (?:\w{1,15} )?"
    + _RELATION
    + r"(?:'s)? (?:phone|location|car|messages|whereabouts)"
    r"|(?:read|access|see|check) (?:my|his|her|their|someone'?s) (?:\w{1,15} )?"
    + _RELATION
    + r"(?:'s|s')? (?:text messages|messages|emails|e-mails|dms|whatsapp|phone)"
    r")\b"
)

# A request: the asker wants the thing done or explained how.
_REQUEST = re.compile(
    r"\b(?:how (?:to|do|does|did|can|could|would|should|might|may|is it possible)|"
    r"(?:what(?:'s| is| are)?|which is) (?:the |some |a )?(?:best|easiest|quickest|fastest|"
    r"simplest|most effective|cheapest|safest|good|better|surest) (?:way|ways|method|methods|"
    r"means|technique|techniques|place|places|tools?|recipe)|ways? to|"
    r"tips (?:on|for|to)|teach (?:me|us)|show (?:me|us)|tell (?:me|us)|explain (?:how|to)|"
    r"walk (?:me|us) through|help (?:me|us)|i (?:want|wanna|need|plan|intend|would like|"
    r"'d like) to|i'?m (?:going|planning|trying|about) to|let'?s|(?:can|could|would|will) "
    r"you|please|write|create|generate|draft|compose|produce|develop|design|give|provide|"
    r"outline|describe|list|suggest|offer|instruct|guide (?:on|to|for)|tutorial|"
    r"instructions?|steps?|recipe|plan|strategy|a way to|where (?:can|do|could|should) i|"
    r"should i|is it (?:possible|easy) to|propose|demonstrate|detail|share)\b"
)
# The act is the subject of a question about harm, not a request to do it.
_ABOUT_EN = re.compile(
    r"\b(?:history of|historical|prevent(?:ing|ion|s)?|protect(?:ing)?|defend(?:ing)? "
    r"(?:against|from)|guard against|(?<!evade )(?<!evading )(?<!avoid )(?<!avoiding )"
    r"(?<!escape )(?<!escaping )detect(?:ing|ion|s)?|recogni[sz](?:e|ing)|spot(?:ting)?|"
    r"report(?:ing)?|avoid (?:being|becoming|falling)|awareness|definition of|define|"
    r"meaning of|why (?:is|are|was|were|do|does|did) (?:it )?(?:\w{1,15} )?(?:illegal|wrong|"
    r"bad|harmful|dangerous)|consequences of|penalt(?:y|ies) for|punish(?:ment|ed) for|"
    r"statistics|victims? of|survivors? of|cope with|coping with|recover(?:ing)? from|"
    r"documentary|in the news|was (?:convicted|charged|arrested|sentenced|accused)|"
    r"(?:is|are) (?:it )?(?:illegal|legal|a crime)|laws? (?:on|against|about)|"
    r"safe from|safety|stop (?:someone|people|them|him|her) from|deter|mitigat(?:e|ion)|"
    r"signs of|warning signs|respond to|should (?:you|i|we|one) (?:tell|report|call|inform)|"
    r"if (?:you|i|we|someone) (?:catch|see|saw|find|witness|notice)|"
    r"who (?:\w{1,15} )?(?:was|is|were|would|will|might|did|didn'?t|had|probably|likely)|"
    r"who \w{2,12}s|(?:registry|arrested|charged|convicted|accused|sentenced|jailed|"
    r"guilty|suspected|investigated) (?:\w{1,12} )?(?:for|of|with)|"
    r"(?:a )?defen[cs]e against|secure against|(?:tried|attempted|plotted|conspired) to|"
    r"(?:police|prosecutors|authorities|officials) (?:said|say|says|arrested|found|believe|"
    r"charged|reported)|(?<!fake )news (?:summary|report)|"
    r"(?:how|why|what|when|where|who) (?:\w{1,15} )?did)\b"
)
# A game or a film named as the setting: the act happens there, not in the world.
_GAME = re.compile(
    r"\b(?:in (?:the |this |my )(?:\w{1,15} ){0,2}(?:video ?game|board game|game)|"
    r"in (?:a |my )?(?:video ?game|board game)|"
    r"(?:in|from|of) (?:'|\")?(?:minecraft|fortnite|roblox|skyrim|the sims|dnd|d&d|"
    r"call of duty|gta ?\d?|grand theft auto|the witcher|payday|"
    r"hitman|assassin'?s creed|red dead|fallout|among us|counter-strike|valorant|overwatch|"
    r"league of legends|dota|pubg|apex legends|mission impossible|breaking bad|game of "
    r"thrones|the godfather|star wars|harry potter|pokemon|zelda|mario|halo|doom))\b"
)
# Topic words: alone they say little (people ask about crime, drugs and security).
_TOPIC_EN = re.compile(
    r"\b(?:bombs?|explosives?|weapons?|poison(?:s|ing|ous)?|meth(?:amphetamine)?|cocaine|"
    r"heroin|fentanyl|malware|ransomware|keyloggers?|hack(?:ing|ed|s|ers?)?|steal(?:ing|s)?|"
    r"stolen|fraud(?:ulent)?|launder(?:ing)?|kill(?:ing)?|murder(?:ing)?|suicide|self-harm|"
    r"counterfeit(?:ing)?|phishing|illegal(?:ly)?|terroris[mt]s?|firearms?|guns?|"
    r"kidnap(?:ping)?|traffick(?:ing)?|scams?|blackmail|extort(?:ion)?|smuggl(?:e|ing)|"
    r"misinformation|disinformation|fake news|hate speech|racis[mt]|harass(?:ment|ing)?|"
    r"stalk(?:ing)?|bully(?:ing)?|manipulat(?:e|ing|ion)|identity theft|sexually explicit|"
    r"drugs?|violence|violent|exploit(?:s|ing|ation)?|abuse|torture|rape|assault|"
    r"insider trading|tax evasion|confidential|classified|without (?:their|his|her) consent)\b"
)

# ---------------------------------------------------------------------- other languages
# Strong intents only, each language in its own words: an act (making a bomb or drugs,
# killing, stealing, hacking, suicide, laundering) near a request ("how", "teach me").
# Word order differs (Hindi, Bengali, Japanese, Korean put the verb last), so the request
# may come before or after the act. Scripts without spaces match without word boundaries.
_ML_ACTS = [
    # Spanish / Portuguese / Italian / French
    r"\b(?:fabricar|hacer|construir|crear|preparar|armar|cocinar|sintetizar|conseguir|"
    r"fazer|montar|fabbricare|costruire|fare|creare|preparare|fabriquer|faire|"
    r"construire|cr[ée]er|pr[ée]parer) (?:\w{1,12} ){0,2}?(?:bombas?|bombes?|explosiv[oae]s?|"
    r"metanfetamina|m[ée]thamph[ée]tamine|drogas?|drogues?|droghe|armas?|armes?|veneno|"
    r"poison|veleno|malware|ransomware)\b",
    r"\b(?:matar|asesinar|envenenar|secuestrar|torturar|violar|assassinar|sequestrar|"
    r"estuprar|uccidere|ammazzare|avvelenare|rapire|stuprare|tuer|assassiner|empoisonner|"
    r"kidnapper|torturer|molestare|aggredire|agredir|atacar a|attaquer) \w",
    r"\b(?:robar un banco|assaltar um banco|rapinare una banca|braquer une banque|"
    r"vandalizzare|vandalizar|incendiar|incendiare|dar fuoco|prendre feu|"
    r"esconder (?:un|o) cad[áa]ver|nascondere un cadavere|cacher un corps|"
    r"senza che (?:nessuno|altri) se ne accorg[ae]|sin que nadie se d[ée] cuenta)\b",
    r"\b(?:robar|roubar|rubare|voler de l'argent|voler une? |hackear|piratear|hackerare|"
    r"pirater|invadir (?:uma?|a|o) (?:conta|rede|sistema)|lavar dinero|blanquear dinero|"
    r"lavar dinheiro|riciclare (?:denaro|soldi)|blanchir (?:de l'|l')argent)\b",
    r"\b(?:sin que (?:me|nadie|nadie me) (?:descubra|atrape|pille|vea|entere)|sin ser "
    r"(?:detectad|descubiert|atrapad|vist)[oa]|sin dejar rastro|sem ser (?:pego|pega|"
    r"descobert[oa]|detectad[oa])|sem que ningu[ée]m (?:saiba|perceba)|sem deixar rastros?|"
    r"senza (?:essere (?:scopert|beccat|pres|vist|rilevat)[oa]|farmi (?:beccare|scoprire|"
    r"prendere)|lasciare tracce)|sans (?:me faire (?:prendre|attraper|rep[ée]rer|choper)|"
    r"[êe]tre (?:d[ée]tect[ée]|vu|pris|attrap[ée])|que personne ne (?:le )?sache|laisser "
    r"de traces?))\b",
    # German (the verb often comes last)
    r"\b(?:eine |einen |die )?(?:bombe|sprengstoff|sprengsatz|rohrbombe|crystal meth|"
    r"methamphetamin|drogen|waffe|gift)(?: \w{1,15}){0,3}? (?:bauen|baue|herstellen|stelle|"
    r"machen|basteln|kaufen|besorgen|kochen|mischen|baut|macht|herstellt|herstellen kann|"
    r"hergestellt|gebaut)\b",
    r"\b(?:baue|mache|stelle|bastle|kaufe) (?:ich|man) (?:eine |einen )?(?:bombe|"
    r"sprengstoff|sprengsatz|rohrbombe|crystal meth|drogen|waffe|gift)\b",
    r"\b(?:jemanden|meine frau|meinen mann|meinen chef|meinen nachbarn|ihn|sie|menschen|"
    r"leute)(?: \w{1,15}){0,2}? (?:töten|umbringen|ermorden|vergiften|entführen|foltern|"
    r"vergewaltigen|erstechen|erschießen)\b",
    r"\b(?:geld waschen|"
    r"ohne erwischt zu werden|ohne dass (?:es )?(?:jemand|einer) (?:es )?(?:merkt|"
    r"mitbekommt)|(?:konto|handy|e-mail|netzwerk|wlan|computer) (?:\w{1,12} )?hacken)\b",
    # Russian
    r"(?:сделать|изготовить|собрать|создать|приготовить|сварить|синтезировать|купить|"
    r"достать) (?:\w{1,15} )?(?:бомбу|взрывчатку|взрывное устройство|метамфетамин|"
    r"наркотики|оружие|яд)",
    r"(?:убить|отравить|похитить|пытать|изнасиловать|зарезать|застрелить|украсть|поджечь|"
    r"ограбить банк|спрятать труп|избавиться от тела|"
    r"своровать|ограбить|взломать|отмыть деньги|отмывать деньги|"
    r"не попавшись|чтобы (?:меня )?не поймали|чтобы никто не узнал)",
    # Arabic
    r"(?:صنع|أصنع|اصنع|تصنيع|صناعة|تحضير|أحضر|شراء|أشتري)\s(?:\S{1,15}\s)?"
    r"(?:قنبلة|قنبله|متفجرات|المتفجرات|عبوة ناسفة|مخدرات|المخدرات|سلاح|سم)",
    r"(?:أقتل|اقتل|قتل شخص|قتل زوج|تسميم|أسمم|أخطف|خطف طفل|تعذيب|اغتصاب|أسرق|اسرق|"
    r"سرقة بنك|سرقة|أخترق|اخترق|اختراق حساب|اختراق|لقتل|"
    r"إشعال الحرائق|إشعال حريق|أحرق|إخفاء جثة|أخفي جثة|لا يتم اكتشاف|دون أن يتم اكتشاف|"
    r"غسيل الأموال|غسل الأموال|دون أن يتم القبض|دون أن يكتشف|دون أن يعرف أحد|"
    r"دون أن يلاحظ أحد|دون ترك أثر)",
    # Hindi, Bengali
    r"(?:बम|विस्फोटक|ड्रग्स|नशीली दवा|हथियार|ज़हर|जहर)(?:\s\S{1,12}){0,3}?\s"
    r"(?:बना|तैयार|ख़रीद|खरीद)",
    r"(?:मार डाल|जान से मार|हत्या कर|ज़हर दे|जहर दे|अपहरण कर|बलात्कार|चोरी कर|"
    r"हैक कर|बिना पकड़े|पकड़े बिना|किसी को पता (?:चले|लगे) बिना)",
    r"(?:বোমা|বিস্ফোরক|মাদক|অস্ত্র|বিষ)(?:\s\S{1,12}){0,3}?\s?(?:বানা|তৈরি)",
    r"(?:হত্যা কর|খুন কর|মেরে ফেল|অপহরণ|ধর্ষণ|চুরি কর|হ্যাক কর|ডাকাতি|"
    r"পুড়িয়ে ফেল|আগুন লাগা|লাশ লুকা|"
    r"ধরা না পড়ে|কেউ জানতে না পার)",
    # Swahili, Javanese, Indonesian
    r"\b(?:kutengeneza|kuunda) (?:\w{1,12} )?(?:bomu|mabomu|vilipuzi|dawa za kulevya|"
    r"silaha|sumu)\b",
    r"\b(?:kuua|kumuua|kuwaua|kumtesa|kumteka|kubaka|kumpa sumu|kuiba|kudukua|"
    r"bila kukamatwa|bila kugunduliwa|bila mtu kujua|kuwashambulia|"
    r"kumshambulia|kuvamia benki|kuchoma moto|kuficha maiti)\b",
    r"\b(?:gawe|nggawe|damel|ndamel|membuat|bikin) (?:\w{1,12} )?(?:bom|bahan peledak|"
    r"narkoba|senjata|racun)\b",
    r"\b(?:mateni|matèni|mbunuh|ngracun|ngeracun|ngerampok|rampok|ngobong|nyulik|nyiksa|merkosa|nyolong|membunuh|"
    r"meracuni|menculik|memperkosa|mencuri|meretas|tanpa ketahuan|"
    r"tanpa konangan|ora konangan|ora ketahuan|tanpa tertangkap|tanpa ketauan)\b",
    # Vietnamese
    r"(?:chế tạo|làm|tạo|sản xuất|điều chế|mua) (?:\w{1,10} )?(?:bom|chất nổ|thuốc nổ|"
    r"ma túy|vũ khí|súng|chất độc|thuốc độc)\b",
    r"\b(?:giết|sát hại|đầu độc|bắt cóc|tra tấn|hiếp dâm|ăn cắp|ăn trộm|đánh cắp|"
    r"hack tài khoản|xâm nhập|rửa tiền|nổ tung|cướp ngân hàng|phóng hỏa|"
    r"giấu xác|giấu ma túy|buôn ma túy|bán ma túy|mà không bị phát hiện|không bị phát hiện|"
    r"không bị bắt|không để (?:ai|anh ấy|cô ấy|họ|vợ|chồng) biết)",
    # Chinese (simplified and traditional)
    r"(?:制作|制造|製作|製造|做|造|组装|組裝|合成|自制|自製|购买|購買|买到|買到|弄到)"
    r"[^\s。?!,]{0,6}?(?:炸弹|炸彈|炸药|炸藥|爆炸物|毒品|冰毒|海洛因|枪支|槍支|武器|毒药|毒藥)",
    r"(?:杀人|殺人|杀死|殺死|杀掉|殺掉|谋杀|謀殺|毒死|绑架|綁架|折磨|强奸|強姦|偷东西|偷東西|"
    r"偷钱|偷錢|盗窃|盜竊|窃取|竊取|抢劫|搶劫|黑进|黑進|入侵|破解密码|破解密碼|"
    r"洗钱|洗錢|放火|纵火|縱火|杀了|殺了|抢银行|搶銀行|藏尸|藏屍|"
    r"不被发现|不被發現|不被抓|不被警察|神不知鬼不觉|"
    r"不留痕迹|不留痕跡)",
    # Japanese
    r"(?:爆弾|爆発物|覚醒剤|覚せい剤|麻薬|ドラッグ|毒薬|毒物|銃|武器)(?:の作り方|を作|の製造|"
    r"を製造|を手に入れ|を入手|を買)",
    r"(?:殺す|殺し方|殺害|毒殺|誘拐|拷問|盗む|盗み方|万引き|ハッキング|不正アクセス|"
    r"マネーロンダリング|資金洗浄|バレずに|バレないように|捕まらずに|捕まらない|"
    r"気づかれずに|痕跡を残さず)",
    # Korean
    r"(?:폭탄|폭발물|마약|필로폰|총|무기|독약)(?:을|를)? ?(?:만드는|만들|제조|구하는|구입|사는)",
    r"(?:죽이는|죽일|죽이고|살해|독살|납치|고문|강간|훔치는|훔칠|훔치고|도둑질|해킹|"
    r"돈세탁|침입|불 지르|방화|시체 (?:처리|숨기)|들키지 않고|들키지 않게|걸리지 않고|"
    r"걸리지 않게|잡히지 않고|흔적 없이)",
    # Thai (NFKC writes sara am as nikhahit + sara aa)
    r"(?:ทํา|ทำ|สร้าง|ผลิต|ประกอบ|ซื้อ)\S{0,6}?(?:ระเบิด|วัตถุระเบิด|ยาเสพติด|ยาบ้า|อาวุธ|ปืน|ยาพิษ)",
    r"(?:ฆ่าคน|ฆ่า(?:เขา|เธอ|ภรรยา|สามี|แฟน)|วางยาพิษ|ลักพาตัว|ขโมย|แฮ็ก|แฮก|เจาะระบบ|"
    r"ฟอกเงิน|โดยไม่ให้ใครรู้|โดยไม่ถูกจับ|ไม่ให้ใครรู้|ฆ่าใคร|ฆ่า|ซ่อนศพ|"
    r"ปล้นธนาคาร|วางเพลิง|ไม่โดนจับ|ไม่ให้โดนจับ|ไม่ถูกจับ)",
]
_ML_ACT = re.compile("|".join("(?:" + p + ")" for p in _ML_ACTS))
# Benign senses in those languages ("kill time", disinfecting, antivirus software).
_ML_BENIGN = re.compile(
    r"matar el tiempo|matar o tempo|ammazzare il tempo|tuer le temps|убить время|"
    r"시간 ?(?:을 )?죽이|ฆ่าเชื้อ|ฆ่าตัวตาย|杀毒|殺毒|杀菌|殺菌|杀虫|殺蟲|杀手|殺手|自殺防止|自杀预防|"
    r"प्रोग्राम|প্রোগ্রাম"
)
_ML_REQUEST = re.compile(
    r"\b(?:c[óo]mo|manera de|forma de|pasos para|ens[ée][ñn]ame|ay[úu]dame|quiero|puedes|"
    r"ensine|me ensina|quero|pode me|comment|moyen de|apprends-moi|aide-moi|je veux|"
    r"peux-tu|come|insegnami|aiutami|voglio|puoi|wie|anleitung|bring mir bei|hilf mir|"
    r"ich will|kannst du|как|способ|научи|помоги|хочу|можешь|jinsi ya|namna ya|"
    r"nifundishe|nataka|njia ya|vipi|nawezaje|piye|kepiye|kepriye|carane|cara|ajari|"
    r"pengin|kepengin|pripun|bagaimana|làm thế nào|làm sao|cách|chỉ tôi|hướng dẫn|"
    r"tôi muốn|giúp tôi)\b"
    r"|كيف|طريقة|علمني|أريد|ساعدني|कैसे|तरीक|सिखा|बताओ|बताइए|चाहता|चाहती|"
    r"কিভাবে|কীভাবে|কি ভাবে|উপায়|শেখা|চাই|如何|怎么|怎麼|怎样|怎樣|教我|方法|步骤|步驟|我想|"
    r"帮我|幫我|办法|辦法|やり方|作り方|どうやって|どうすれば|教えて|手順|したい|방법|어떻게|"
    r"알려|가르쳐|싶어|싶은|วิธี|อย่างไร|ยังไง|สอน|ขั้นตอน|อยาก"
)
# Questions about harm in those languages: "if someone...", "should I report", "prevent",
# "why", "history", "is it immoral".
_ML_ABOUT = re.compile(
    r"\b(?:prevenir|proteger|evitar que|por qu[ée]|historia|si alguien|deber[íi]a|"
    r"denunciar|inmoral|pr[ée]venir|prot[ée]ger|pourquoi|histoire|si quelqu'un|signaler|"
    r"verhindern|schützen|warum|geschichte|wenn jemand|melden|prevenire|proteggere|"
    r"perch[ée]|storia|se qualcuno|denunciare|immorale|evitar|por que|hist[óo]ria|"
    r"se algu[ée]m|предотвратить|защитить|почему|история|если кто-то|ngăn chặn|phòng chống|"
    r"bảo vệ|tại sao|lịch sử|nếu ai|kuzuia|kulinda|kwa nini|historia|ngapa|nyegah)\b"
    r"|منع|حماية|لماذا|تاريخ|إذا|रोक|बचाव|क्यों|इतिहास|अगर|প্রতিরোধ|রক্ষা|কেন|ইতিহাস|যদি|"
    r"如果|是否|应该|應該|不道德|报警|報警|防止|预防|預防|保护|保護|为什么|為什麼|历史|歷史|"
    r"防ぐ|対策|なぜ|歴史|もし|예방|방지|왜|역사|만약|ป้องกัน|ทําไม|ทำไม|ประวัติ|ถ้า"
)
_ML_WINDOW = 40  # characters either side of an act searched for a request


# ------------------------------------------------------------------------------ prefilter
# The act patterns are costly alternations; they run only when a word of the text starts
# like one of their distinctive words (one set intersection over the words' first five
# letters). A prefix here that also starts an everyday word costs time, never a result.
def _prefixes(words: str) -> FrozenSet[str]:
    out = set()
    for w in words.split():
        if len(w) >= 5:
            out.add(w[:5])
        else:
            for end in ("", "s", "es", "ed", "er", "ers", "ing", w[-1] + "ing", w[-1] + "ed"):
                out.add((w + end)[:5])
    return frozenset(out)


_EN_GATE = _prefixes(
    "kill murder poison strangle stab shoot kidnap abduct torture hurt harm injure assault "
    "beat drown suffocate choke maim blackmail extort stalk harass dox doxx rape molest groom "
    "abuse traffick gaslight threat intimidate scam defraud rob mug spy spies secretly rid "
    "sedate bully bullies cyberbully humiliate radical exploit discriminate lure trick target "
    "insult prey deceive bomb explosive ied grenade molotov napalm thermite tatp nerve sarin "
    "ricin anthrax botulinum mustard chlorine chemical biological nuclear bioweapon weapon "
    "dimethylmercury pathogen meth methamphetamine crack cocaine heroin fentanyl lsd mdma "
    "ecstasy drug roofies opioid untraceable ghost gun firearm silencer suppressor malware "
    "ransomware ransom virus trojan keylogger rootkit botnet spyware stalkerware worm phishing "
    "fake counterfeit forged forge deepfake misinformation disinformation propaganda "
    "conspiracy hate false rumor rumour porn pornography toxic lewisite tabun soman phosgene "
    "warfare ddos denial skimmer skimming misleading bot racist sexist antisemitic homophobic "
    "transphobic terrorist terrorism shooting slurs sql spam pirated pirate stolen black dark "
    "theft organs hack break guess brute steal stole commit launder taxes shoplift hotwire "
    "embezzle ponzi pyramid manipulate incite provoke violence hatred riot genocide anorexia "
    "bulimia suicide eating extremism cruelty isis qaeda cartel gang nude naked intimate "
    "upskirt explicit consent security breathalyzer police border customs cheat sabotage "
    "disrupt attack torrent scrape harvest collect cops arrest body evidence hit robbery heist "
    "burglar invasion carjack massacre assassinate assassination arson swatting falsify doctor "
    "fabricate alter illegally unlawfully covertly surreptitiously vulnerability mislead con "
    "hijack control bypass circumvent defeat evade antivirus unauthorized unauthorised prison "
    "jail correctional custody detention reputation ruin conceal criminal hide hiding "
    "confidential classified internal undisclosed proprietary leaked radicalization "
    "recruitment recruit join tap tapping lazy stupid dumb ignorant backward uneducated "
    "violent dirty greedy inferior criminals disgusting smelly useless evil worthless savage "
    "primitive misbehaved rude corrupt sneaky untrustworthy unintelligent lesser burden "
    "dangerous bad fraud smuggle insider evasion identity sexually hold case casing escape flee "
    "outrun dispose bury dissolve destroy tamper perform pull carry plan planning "
    "promote encourage glorify advocate take post share distribute illegal drunk war"
)
_SELF_GATE = _prefixes(
    "myself yourself oneself life suicide suicidal die dose overdose lethal painless vida vita "
    "jours selbstmord umbringen nglalu bunuh kujiua kujitoa"
)
_PRIVATE_GATE = _prefixes(
    "medication medicine prescription medical diagnosis diagnoses health address location "
    "whereabouts phone email password bank credit social ssn worth religion religious sexual "
    "political criminal browsing private messages emails therapy mental dating login birth "
    "passport immigration hiv pregnancy pregnant routine schedule fingerprints blood dna test "
    "weight notes texts dms whatsapp live stay"
)
_ML_LATIN_GATE = _prefixes(
    "fabricar hacer construir crear preparar armar cocinar sintetizar conseguir fazer montar "
    "fabbricare costruire fare creare preparare fabriquer faire construire créer creer "
    "préparer preparer matar asesinar envenenar secuestrar torturar violar assassinar "
    "sequestrar estuprar uccidere ammazzare avvelenare rapire stuprare tuer assassiner "
    "empoisonner kidnapper torturer molestare aggredire agredir atacar attaquer robar roubar "
    "rubare voler hackear piratear hackerare pirater invadir lavar blanquear riciclare "
    "blanchir sin sem senza sans bombe sprengstoff sprengsatz rohrbombe crystal "
    "methamphetamin drogen waffe gift baue mache stelle bastle kaufe jemanden töten umbringen "
    "ermorden vergiften entführen foltern vergewaltigen erstechen erschießen geld ohne konto "
    "handy netzwerk wlan computer vandalizzare vandalizar incendiar incendiare dar prendre "
    "esconder nascondere cacher kutengeneza kuunda kuua kumuua kuwaua kumtesa kumteka kubaka "
    "kumpa kuiba kudukua bila kuwashambulia kumshambulia kuvamia kuchoma kuficha gawe nggawe "
    "damel ndamel membuat bikin mateni matèni mbunuh ngracun ngeracun ngerampok rampok ngobong "
    "nyulik nyiksa merkosa nyolong membunuh meracuni menculik memperkosa mencuri meretas tanpa "
    "ora meine meinen ihn sie menschen leute robar braquer rapinare assaltar"
)
# Scripts other than Latin, and Vietnamese letters: the other languages' patterns run.
_NON_LATIN = re.compile(
    "[\u0400-\u04ff\u0600-\u06ff\u0900-\u09ff\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff"
    "\u3400-\u9fff\uac00-\ud7af\u1ea0-\u1ef9\u0111\u01a1\u01b0]"
)
_WORD = re.compile(r"[^\W\d_]+")


def _window(text: str, lo: int, hi: int) -> str:
    """``text[lo:hi]`` without the partial words cut at either end (so a word boundary at
    the edge of the window is a real one)."""
    lo, hi = max(0, lo), min(len(text), hi)
    if lo > 0 and text[lo - 1].isalnum():
        while lo < hi and text[lo].isalnum():
            lo += 1
    if hi < len(text) and text[hi].isalnum():
        while hi > lo and text[hi - 1].isalnum():
            hi -= 1
    return text[lo:hi]


def _request_before(text: str, start: int) -> bool:
    """A request in the sentence that leads up to ``start`` (bounded window)."""
    before = _window(text, start - _WINDOW, start)
    cut = max(before.rfind(c) for c in ".!?\n;")
    if cut >= 0:
        before = before[cut + 1 :]
    return _REQUEST.search(before) is not None


def _sentence_start(text: str, start: int) -> bool:
    """``start`` opens a sentence or line (an imperative: "Hack into ...")."""
    before = text[max(0, start - 12) : start].rstrip(" \t\"'([{*-:>")
    return not before or before[-1] in ".!?\n;"


def _en_score(text: str, words: FrozenSet[str]) -> float:
    best = 0.0
    evade = _EVADE.search(text) is not None
    long_text = len(text) > _LONG
    acts: Iterator[Match[str]] = _EN_ACT.finditer(text) if words & _EN_GATE else iter([])
    for n, m in enumerate(acts):
        if n >= _MAX_HITS:
            break
        around = _window(text, m.start() - _WINDOW, m.end() + 60)
        if _GAME.search(around):
            best = max(best, _ABOUT)  # a game's mechanics, even "without getting caught"
            continue
        if _ABOUT_EN.search(around) and not evade:
            score = _ABOUT
        elif _request_before(text, m.start()):
            score = STRONG
        elif _sentence_start(text, m.start()) and not long_text:
            score = STRONG  # an imperative: "Hack into the city's water system."
        else:
            score = _ACT_IN_DOCUMENT if long_text else _ACT_ALONE
        if evade and score < STRONG:
            score = _ACT_ALONE if long_text else STRONG
        best = max(best, score)
        if best >= STRONG:
            return STRONG
    private: Iterator[Match[str]] = _PRIVATE.finditer(text) if words & _PRIVATE_GATE else iter([])
    for n, m in enumerate(private):
        if n >= _MAX_HITS:
            break
        asked = _request_before(text, m.start()) or m.group().startswith(("what", "where"))
        best = max(best, STRONG if asked else _ACT_ALONE)
        if best >= STRONG:
            return STRONG
    if evade and best < _ACT_ALONE:
        # "... without getting caught" asks to get away with something, whatever it is
        if long_text:
            best = _ACT_IN_DOCUMENT
        else:
            best = STRONG if _REQUEST.search(text) else _ACT_ALONE
    if best == 0.0 and words & _EN_GATE and _TOPIC_EN.search(text):
        best = _TOPIC
    return best


def _self_harm_score(text: str) -> float:
    for n, m in enumerate(_SELF_HARM.finditer(text)):
        if n >= _MAX_HITS:
            break
        window = _window(text, m.start() - _ML_WINDOW, m.end() + _ML_WINDOW)
        if _METHOD.search(window):
            return STRONG  # asks for a way to do it
    return _ABOUT if _SELF_HARM.search(text) else 0.0


def _ml_score(text: str) -> float:
    best = 0.0
    for n, m in enumerate(_ML_ACT.finditer(text)):
        if n >= _MAX_HITS:
            break
        window = _window(text, m.start() - _ML_WINDOW, m.end() + _ML_WINDOW)
        if _ML_REQUEST.search(window) and not _ML_ABOUT.search(window):
            return STRONG
        best = _ABOUT
    return best


def declined_intent(view: str) -> float:
    """How clearly ``view`` (normalised, lower-case) asks for something an assistant declines:
    0.0 (no sign) to 1.0 (an explicit request for a harmful capability: making weapons or
    drugs, hurting someone, stealing, hacking, evading detection, a private person's data).

    0.6 (0.4 inside a long text) for the harmful act stated without a request, 0.3 for a
    question about harm (prevention, history, law) or for topic words alone. Alone this is
    no evidence of an attack (people ask about crime, drugs and security all the time);
    other detectors combine it with a frame, a suffix or an encoding."""
    head = view[:_HEAD]
    text = _BENIGN_SENSE.sub(" ", head)
    words = frozenset(w[:5] for w in _WORD.findall(text))
    other_script = _NON_LATIN.search(text) is not None
    best = _en_score(text, words)
    if best < STRONG and (other_script or words & _SELF_GATE):
        best = max(best, _self_harm_score(text))
    if best < STRONG and (other_script or words & _ML_LATIN_GATE):
        best = max(best, _ml_score(_ML_BENIGN.sub(" ", text)))
    return best


# ------------------------------------------------------------------------ wrapped requests
# "special characters", "a novel approach", a network layer or a plot of data are no frame.
_FICTION = re.compile(
    r"\b(?:story|stories|fiction(?:al)?|screenplay|scene|(?<!special )(?<!unicode )"
    r"(?<!ascii )(?<!invalid )(?<!escape )(?<!control )characters?(?! (?:long|limit|set|"
    r"encoding|class|count|code|traits?|development|arc|sheet))|role-?play|"
    r"hypothetical(?:ly)?|imagine|pretend|dream|movie|tale|narrative|protagonist|villain|"
    r"(?:write|in|for) a novel|layer \d)\b"
    r"|\b(?:historia|cuento|novela|guion|escena|personajes?|imagina|finge|histoire|roman|"
    r"sc[èe]ne|personnages?|imagine|geschichte|roman|szene|figuren?|stell dir vor|storia|"
    r"racconto|personaggi|immagina|hist[óo]ria|conto|cena|personagens?|imagine|история|"
    r"рассказ|сцена|персонаж|представь|câu chuyện|nhân vật|tưởng tượng|hadithi|wahusika)\b"
    r"|故事|小说|小說|剧本|劇本|场景|場景|角色|假设|假設|想象|想像|梦境|夢境|物語|小説|登場人物|"
    r"シナリオ|想像して|이야기|소설|등장인물|상상해|시나리오|قصة|رواية|شخصيات|تخيل|कहानी|"
    r"किरदार|कल्पना|গল্প|চরিত্র|কল্পনা|เรื่องราว|นิยาย|ตัวละคร|จินตนาการ"
)
# Asking for the usable part: practical steps, commands, tools (not "describe it in detail").
_DETAIL = re.compile(
    r"\b(?:(?:specific|practical|concrete|exact|actionable) and (?:practical|specific|"
    r"detailed|actionable|concrete) (?:commands|tools|steps|instructions|methods)|"
    r"(?:specific|practical|exact) (?:commands|tools|weapons|chemicals|ingredients|"
    r"quantities|measurements)|detailed (?:step-by-step )?(?:steps|instructions) "
    r"(?:on|for|to) (?:how|make|build|making|building|creat)|step-by-step (?:instructions|"
    r"guide|tutorial|recipe) (?:on|for|to)|step by step (?:instructions|guide) (?:on|for|to)|"
    r"(?:detailed|precise|exact|specific) steps on how to|how to achieve the|"
    r"(?:real|exact|precise) (?:quantities|measurements|amounts|recipe|ingredients))\b"
)
# Broader demand for detail, counted only together with a declined intent.
_DETAIL_LOOSE = re.compile(
    r"\b(?:detailed|in (?:great |full |precise |vivid )?detail|step[- ]by[- ]step|"
    r"steps?|instructions|specific|practical|accurate|realistic|"
    r"(?:the )?(?:final|missing) part|paso a paso|étape par étape|etape par etape|"
    r"schritt für schritt|passo (?:dopo|a) passo|từng bước|hatua kwa hatua)\b"
    r"|пошагов|инструкц|一步一步|步骤|步驟|手順|단계별|خطوة بخطوة|चरण दर चरण|ধাপে ধাপে|ขั้นตอน"
    r"|detallad|d[ée]taill|dettagliat|detalhad|подробн|chi tiết|详细|詳細|具体|具體|詳しく|자세|"
    r"구체|مفصل|विस्तार|বিস্তারিত|ละเอียด"
)
# "It is only fiction": wording of the frame that excuses what follows.
_DISCLAIMER = re.compile(
    r"\b(?:for (?:purely |strictly |only )?(?:fictional|hypothetical) (?:reasons|purposes)|"
    r"(?:it'?s|this is) (?:just|only) (?:a |for a )?(?:story|fiction|novel)\b(?! scenario)|"
    r"not real(?!-)|fictional (?:world|setting|universe) (?:where|"
    r"with(?:out)?) (?:no |there are no )?(?:laws|rules|ethics|restrictions))\b"
)
# Excuses that count only with a declined intent ("for educational purposes").
_EXCUSE = re.compile(
    r"\b(?:for (?:purely |strictly |only )?(?:educational|research|academic|"
    r"informational|scientific) (?:reasons|purposes|use)|(?:just|only) (?:curious|asking)|"
    r"(?:will|would) never (?:be )?(?:actually )?(?:use|used|do it))\b"
)

# An empty scaffold to be filled in: steps that are only placeholders ("Step 1 ...",
# "First, ...") and a request to complete or expand them (code, tables, outlines); with a
# declined intent inside, the model is asked to write the harmful steps itself.
_PLACEHOLDER = re.compile(
    r"\b(?:first|then|next|finally|step ?\d{1,2}|step (?:one|two|three))\b[,:.]?[ \t]{0,3}"
    r"(?:\.{3}|\u2026)"
)
_FILL = re.compile(
    r"\b(?:fill(?:ing)? in|complete|completing|add(?:ing)? (?:more )?details?|enhance|"
    r"enrich(?:ed)?|expand|supplement|elaborate|flesh out)\b"
)


def wrapper_features(view: str) -> Dict[str, float]:
    """The wrapped-request cues present in ``view`` (a normalised, lower-case text).

    ``wrap:fiction_detail``: a fictional frame and a demand for practical, usable detail
    ("specific and practical commands, tools, or steps"); ``wrap:fiction_disclaimer``: a
    fictional frame and an "it is only fiction" disclaimer; ``wrap:fiction_harm_detail``:
    a frame, a declined intent (``declined_intent`` >= 0.5) and any demand for detail or
    excuse; ``wrap:scaffold_harm``: placeholder steps, a request to fill them in and a
    declined intent (the scaffold alone is a common way to ask for code). Each is 1.0.
    ``harm`` is ``declined_intent`` (when above 0), alone no evidence and not a stacker
    input by itself: ``_score.stack_features`` multiplies it with the gibberish score (a
    harmful request followed by an optimizer-made suffix).
    """
    head = view[:_HEAD]
    out: Dict[str, float] = {}
    intent = declined_intent(head)
    if intent > 0.0:
        out["harm"] = intent  # read by the stacker only together with the gibberish score
    declined = intent >= 0.5
    if declined:
        placeholders = 0
        for _ in _PLACEHOLDER.finditer(head):
            placeholders += 1
            if placeholders >= 2:
                break
        if placeholders >= 2 and _FILL.search(head):
            out["wrap:scaffold_harm"] = 1.0
    # the frame is looked for last: only a demand for detail, a disclaimer or a declined
    # intent can make it a cue
    detail = _DETAIL.search(head) is not None
    disclaimer = _DISCLAIMER.search(head) is not None
    if not (detail or disclaimer or declined) or not _FICTION.search(head):
        return out
    if detail:
        out["wrap:fiction_detail"] = 1.0
    if disclaimer:
        out["wrap:fiction_disclaimer"] = 1.0
    if declined and (detail or disclaimer or _DETAIL_LOOSE.search(head) or _EXCUSE.search(head)):
        out["wrap:fiction_harm_detail"] = 1.0
    return out
