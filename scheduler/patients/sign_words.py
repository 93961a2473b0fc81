"""The words the warning-sign reader knows: the signs, one table of phrases per sign, the
harmless phrases that look like signs, negation triggers and the words that end their reach,
and the spellings it mends. Data only; `warning_signs` reads texts with it."""

import re
from collections.abc import Mapping
from enum import StrEnum


class Sign(StrEnum):
    """A warning sign after dry needling, named as the front desk reads it."""

    BREATHING = "breathing or chest pain"
    FAINTING = "fainting or dizziness"
    BLEEDING = "bleeding that will not stop"
    INFECTION = "signs of infection"
    NERVES = "numbness, tingling or weakness"


# Shorthands for the tables below: each stands for any one of its forms.
FORMS: Mapping[str, str] = {
    "<cant>": "cant|cannot|can not|couldnt|could not|unable to",
    "<my>": "my|me|the|his|her|your",
    "<limb>": "arms?|hands?|legs?|foot|feet|fingers?|toes?|thumbs?|wrists?|elbows?|knees?|ankles?",
    "<breath>": "breathe?|breaths",
    "<hurts>": "hurts?|hurting|pains?|painful|aches?|aching|achy|sore|sharp|stabbing|burning",
    "<not>": "wont|will not|doesnt|does not|didnt|did not|hasnt|has not|isnt|is not|cant|never|not",
}

PHRASES: Mapping[Sign, tuple[str, ...]] = {
    Sign.BREATHING: (
        "short of <breath>",
        "shortness of <breath>",
        "out of <breath>",
        "breathless(?:ness)?",
        "<cant> * <breath>",
        "<cant> (?:take|get|draw) (?:a |my |enough )?(?:deep |full |proper |big )?<breath>",
        "catch <my> <breath>",
        "(?:hard|difficult|tough|struggling|struggle|painful|hurts?|sore) to"
        " (?:take a (?:deep |full |big )?)?<breath>",
        "(?:trouble|difficulty|difficulties|problems?|issues?|struggling|hard time|pain|hurts?"
        "|hurting|sore) (?:with |when |while )?breathing",
        "breathing * (?:hard|difficult|laboured|labored|shallow|funny|weird|strange|tight|heavy"
        "|fast|rapid|painful|sore|hurts?|trouble|problems?|difficulty)",
        "(?:can|could) (?:barely|hardly|only just) (?:catch <my> )?<breath>",
        "<cant> get (?:enough )?air",
        "struggling for (?:air|<breath>)",
        "gasping|winded|wheezy|wheezing",
        "<hurts> * (?:when|if|as|whenever|while|every time) (?:i )?"
        "(?:take a (?:deep |big |full )?<breath>|<breath>|breathing|inhale|inhaling)",
        "<hurts> (?:with|on) (?:deep )?(?:breathing|inhaling|<breath>)",
        "(?:when|whenever|every time|if) i (?:take a (?:deep |big |full )?<breath>|<breath> in"
        "|<breath> deep(?:ly)?|inhale)",
        "(?:when|while|on) (?:breathing|inhaling)(?: in)?",
        "(?:deep )?(?:<breath>|breathing|inhaling)(?: in)? * (?:hurts?|hurting|painful|sore|sharp"
        "|stabbing)",
        "chest * (?:pains?|painful|hurts?|hurting|aches?|aching|achy|sore|tight|tightness|heavy"
        "|heaviness|pressure|burning|feels (?:funny|weird|strange|wrong))",
        "(?:pains?|aches?|aching|hurts?|hurting|tight|tightness|pressure|heaviness|sharp|stabbing"
        "|burning|soreness|discomfort) (?:in|across|on|around|through|at) <my>"
        " (?:upper |left |right |whole |middle )?chest",
        "(?:tight|sore|painful|heavy|achy|aching) chest",
        "collapsed lungs?|lungs? (?:collapsed|collapsing)|pneumothorax|punctured (?:a |my )?lung",
        "lungs? * (?:hurts?|hurting|pain|painful|sore|burning|aches?|aching)",
    ),
    Sign.FAINTING: (
        "faint(?:s|ed|ing|y|ish)?",
        "pass(?:ed|ing|es)? out",
        "black(?:ed|ing)? out|blackout",
        "lost consciousness|keeled over|collapsed(?! lungs?)",
        "(?:nearly|almost) (?:fell|fall|falling) over",
        "dizzy|dizziness",
        "light ?head(?:ed|edness)?|light in the head",
        "woozy|wobbly|vertigo|unsteady|off balance|lost (?:my )?balance",
        "(?:went|gone|going|turned) (?:all |really |very )?(?:white|pale|grey|gray)",
        "(?:room|everything|world|ceiling|head) * (?:spinning|spun|spins|swimming)",
        "(?:vision|eyes|everything) * (?:went|go|going|goes) (?:black|dark|blurry|grey|gray|white"
        "|fuzzy|funny)",
        "seeing stars|funny turn|clammy|cold sweats?",
        "came over (?:all )?(?:funny|faint|weird|strange|queer|dizzy|peculiar)",
    ),
    Sign.BLEEDING: (
        "bleeding|bleeds?|bled",  # bare: urgent unless a harmless phrase says it is slight
        "still bleeding|(?:keeps?|kept) (?:on )?bleeding|bleeding again",
        "bleeding * (?:a lot|lots|loads|heavily|badly|so much|too much|like crazy|like mad"
        "|non ?stop|profusely|through|everywhere|all over)",
        "(?:heavy|heavily|bad|badly|profuse|lots of|loads of|so much|non ?stop|constant) bleeding",
        "<not> (?:stop|stopped|stopping) bleeding",
        "bleeding (?:that |which |and it |it )?<not> (?:stop|stopped|stopping|slow|slowed|slowing"
        "|easing)",
        "bleeding * (?:started|starting|starts) again",
        "(?:bleeding|bled) (?:[a-z]+ ){0,4}(?:but|and|yet) (?:it |the bleeding )?<not>"
        " (?:stop|stopped|stopping)",
        "bleeding (?:a |a little |a bit |a tiny bit |slightly |lightly )still",
        "bleeding for * (?:hours?|hrs?|ages|minutes|mins|day|night|morning|while)",
        "bled (?:a lot|loads|everywhere|through|all night|heavily|badly)",
        "(?:lots|loads|tons|heaps|so much|too much|a lot|load) of blood",
        "blood (?:everywhere|all over)",
        "blood * (?:pouring|gushing|dripping|running|pumping|soaking|seeping|spurting"
        "|coming out|keeps coming)",
        "soaked through|blood ?soaked",
    ),
    Sign.INFECTION: (
        "fever(?:s|ish)?",
        "temperature|(?:high|slight) temp|(?<=no )temp|(?<=a )temp|(?<=any )temp",
        "temp (?:of|is|was|has|went|spiked|up)",
        "chills|the shivers|shivery|shivering|rigors|night sweats|hot and cold|flu like",
        "infect(?:ed|ion|ions)|abscess|cellulitis|septic|sepsis",
        "pus|oozing|ooz(?:e|es|ed)|discharge",
        "weeping|(?:clear|yellow|green|cloudy|yellowy|greenish) (?:fluid|liquid)",
        "(?:yellow|green|yellowy|greenish) (?:stuff|fluid|liquid|gunk|goo|crust)",
        "(?:red|dark|pink|purple) (?:streaks?|lines?)|streaks? (?:going|spreading|running|up|down)",
        "(?:redness|red patch|red area|red mark|red spot|red) * (?:spreading|spread|growing"
        "|bigger|larger|wider|worse)",
        "spreading (?:redness|red|rash)",
        "(?:getting|gotten|got|going|more|very|really|so|bright|angry|quite) red|redder",
        "red (?:and|n) (?:hot|warm|swollen|angry|puffy|shiny)",
        "(?:hot|warm) to (?:the )?touch",
        "(?:hot|warm|burning) (?:and|n) (?:red|swollen|puffy)",
        "(?:skin|area|spot|site|it) (?:is|feels|feel|felt|was|has gone|gone)"
        " (?:really |very |so |quite |a bit |all )?(?:hot|warm)",
        "swollen|swelling|swelled|swell(?:s|ing)? up|puffy|puffed up",
        "(?:hard|hot|red|painful|growing) lump",
    ),
    Sign.NERVES: (
        "numb(?:ness|ed|ing)?",
        "tingl(?:e|es|ed|ing|y)",
        "pins (?:and |n )?needles",
        "weak(?:ness|er)?",
        "no (?:strength|feeling|sensation) in",
        "(?:lost|losing) (?:the |all |my )?(?:strength|grip|feeling|sensation)",
        "<cant> (?:feel|lift|raise|move|grip|hold|use|bend|straighten|grab) * <limb>",
        "<limb> * (?:dead|useless|giving way|giving out|gave way|gave out|floppy)",
        "dead <limb>",
        "<cant> (?:grip|hold) (?:anything|things|stuff)|dropping (?:things|stuff|everything)",
        "buzzing (?:in|down|through|along) <my>",
        "electric (?:shocks?|zaps?|feelings?)|(?:hit|caught|touched) a nerve",
        "(?:zings?|zaps?|zapping|jolts?|shocks?) (?:down|into|through|along) <my>",
        "shooting (?:pains? )?(?:down|into|through|along) <my>",
    ),
}

# Phrases that look like a sign but describe normal aftercare or something else altogether.
HARMLESS = (
    "(?:little|tiny|wee|small|slight|minor|light|minimal|bit of|spot of|drop of)"
    " (?:bit of )?(?:bleeding|bleed)",
    "(?:bleeding|bled|bleed|bleeds) (?:a )?(?:little|tiny|bit|touch|smidge|drop|slightly|lightly)"
    "(?: bit)?",
    "(?:bleeding|bleed|it|blood) (?:has |had |soon |quickly |then |just |already )?stopped",
    "stopped bleeding",
    "(?:hardly|barely) (?:any )?(?:bleeding|bleed|bled)",
    "faint (?:bruises?|bruising|marks?|lines?|redness|scar|smell)",
    "(?:bruises?|bruising|marks?) * faint",
    "numbing (?:cream|spray|gel)",
    "(?:avoid|avoiding|prevent|preventing|reduce|reducing|lower|risk of|chance of)"
    " (?:the |an |any )?(?:risk of |chance of )?infections?",
    "swelling (?:has |is )?(?:gone|going|come|coming) down",
    "(?:room|bath|water|shower|pack) temperature",
    "temp (?:job|work|worker|agency|role|contract|position|staff)",
    "weak (?:spot|point|signal|wifi|coffee|tea|joke|link)",
)

# NegEx triggers: words that deny what follows them.
NEGATIONS = (
    "no|not|never|without|nor|none|neither|nothing|zero",
    "didnt|dont|doesnt|isnt|wasnt|arent|werent|havent|hasnt|hadnt|wont|wouldnt|aint",
    "no more|no longer|free of",
)
# Pseudo-negations: a negation word that denies no sign (doubt, a complaint, an inability).
PSEUDO_NEGATIONS = (
    "not (?:really |too |that |totally |entirely |completely |quite |100 )?(?:sure|certain"
    "|positive)",
    "(?:no|not a) (?:idea|clue)",
    "(?:dont|do not|didnt|did not) (?:really )?know",
    "<cant> (?:really )?(?:tell|say|be sure)",
    "(?:whether|if) or not|never mind",
    "no (?:doubt|worries|problem|problems|rush|change|difference|better)",
    "not (?:only|just)|never (?:been|felt) (?:this|so)",
    "(?:not|dont|didnt|doesnt|isnt) (?:feel|feeling|felt|look|looking|doing|seem) *"
    " (?:good|great|well|ok|okay|right|fine|normal|myself|amazing)",
    "not (?:so |too |very |that |really )?(?:good|great|well|ok|okay|right|fine|normal|amazing)",
    "(?:not|isnt|hasnt|havent|wont|doesnt) (?:getting |got |gotten |any |much )?(?:better"
    "|improving|improved|easing|eased|gone away|going away|settling|settled|subsiding)",
    "<cant> (?:[a-z]+ ){1,3}without",
)
WINDOW = 5  # words a trigger may stand before the phrase it negates
# Words that end a negation's clause; a subject ("im") starts a new one, unless bridged ("think").
CLAUSE_ENDS = frozenset({
    ".", ",", ";", ":", "!", "?",
    "but", "however", "though", "tho", "although", "altho", "except", "yet", "still", "apart",
    "aside", "besides", "whereas", "because", "cause", "cos", "coz", "cuz", "then", "also",
    "plus", "just", "only", "anyway", "anyways", "otherwise",
    "lol", "haha", "lmao", "x", "xx", "xxx", "thanks", "thx",
})  # fmt: skip
SUBJECTS = frozenset({
    "i", "im", "ive", "id", "it", "its", "theres", "there", "he", "hes", "she", "shes", "they",
    "theyre", "we",
})  # fmt: skip
BRIDGES = frozenset({
    "think", "thought", "believe", "like", "that", "seem", "seems", "reckon", "guess", "of",
})  # fmt: skip
LIST_WORDS = frozenset({"or", "and", "nor", "n", "any", "no", "either", "neither", "even"})
# Words a "*" in a phrase may not skip over: "chest doesnt hurt" is no chest pain.
FILLER_STOPS = "|".join((*NEGATIONS, "but|however|though|tho|although|yet|except"))
FILLER = rf"(?:(?!(?:{FILLER_STOPS}) )[a-z0-9]+ ){{0,2}}"

APOSTROPHES = "'\u2019\u2018\u02bc`\u00b4\u2032"  # straight, curly and look-alike
# Characters read in a set way; other letters and digits stay, other symbols become spaces.
CHARACTERS: Mapping[str, str] = {
    **dict.fromkeys(APOSTROPHES, ""),  # "can't" reads "cant"
    **{stop: f" {stop} " for stop in ".,;:!?"},
    **dict.fromkeys("\n\u2026", " . "),  # a new line or an ellipsis ends a clause too
    "&": " and ",
}
STRETCHED = re.compile(r"([a-z])\1{2,}")
SPELLINGS: Mapping[str, str] = {
    **dict.fromkeys(("dizzey", "dizy", "dizey", "dizzie", "dizzi", "dizzyy"), "dizzy"),
    **dict.fromkeys(("dizzyness", "diziness", "dizzines", "dizzness"), "dizziness"),
    **dict.fromkeys(("feint", "fiant"), "faint"),
    **dict.fromkeys(("feinted", "fianted", "faintd"), "fainted"),
    **dict.fromkeys(("passd", "pased"), "passed"),
    **dict.fromkeys(("whoozy", "woozey", "woozie"), "woozy"),
    **dict.fromkeys(("breth", "breaht"), "breath"),
    **dict.fromkeys(("brethe", "breahte", "breate"), "breathe"),
    **dict.fromkeys(("brething", "breating", "breathng", "breahting"), "breathing"),
    **dict.fromkeys(("breathles", "brethless"), "breathless"),
    **dict.fromkeys(("bleading", "bleedng", "bleding"), "bleeding"),
    "blead": "bleed",
    **dict.fromkeys(("feaver", "fevar", "fevor"), "fever"),
    **dict.fromkeys(("temprature", "temperture", "tempreture", "temparature"), "temperature"),
    "chils": "chills",
    **dict.fromkeys(("swolen", "swollan", "swolled"), "swollen"),
    **dict.fromkeys(("sweling", "swellling"), "swelling"),
    **dict.fromkeys(("infacted", "infectd", "infeccted"), "infected"),
    **dict.fromkeys(("infecton", "infeciton", "infektion"), "infection"),
    "puss": "pus",
    "ozing": "oozing",
    **dict.fromkeys(("numbnes", "numbess", "numness", "numbbness"), "numbness"),
    "numbb": "numb",
    **dict.fromkeys(("tingleing", "tinglling", "tinggling"), "tingling"),
    "weaknes": "weakness",
    **dict.fromkeys(("cnt", "cannt", "carnt"), "cant"),
    "cudnt": "couldnt",
    "dnt": "dont",
    **dict.fromkeys(("didint", "didn", "dint"), "didnt"),
    **dict.fromkeys(("doesent", "dosent", "dosnt", "doesn"), "doesnt"),
    **{"isn": "isnt", "wasn": "wasnt", "hasn": "hasnt", "havnt": "havent"},
    "abit": "a bit",
    "alot": "a lot",
    "alittle": "a little",
    "outta": "out of",
    "lite": "light",
    "chestpain": "chest pain",
}
# Words read back in full when typed without their final g ("bleedin").
ING_WORDS = frozenset({
    "bleeding", "breathing", "tingling", "oozing", "swelling", "spinning", "fainting", "passing",
    "blacking", "hurting", "aching", "throbbing", "spreading", "burning", "struggling", "gasping",
    "wheezing", "shivering", "stopping", "feeling", "getting", "coming", "going", "keeping",
    "dripping", "pouring", "gushing", "stabbing", "shooting",
})  # fmt: skip
