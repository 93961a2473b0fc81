"""Patients' replies after dry needling, each with the warning signs a clinician would read in it.

Written the way people text: lower case, typos, emoji, missing apostrophes, run-on sentences,
British and American spellings.
"""

from dataclasses import dataclass

from scheduler.patients.warning_signs import Sign

BREATHING, FAINTING, BLEEDING = Sign.BREATHING, Sign.FAINTING, Sign.BLEEDING
INFECTION, NERVES = Sign.INFECTION, Sign.NERVES


@dataclass(frozen=True)
class Reply:
    name: str
    text: str
    signs: tuple[Sign, ...] = ()  # affirmed, in Sign order
    negated: tuple[Sign, ...] = ()


def urgent(name: str, text: str, *signs: Sign) -> Reply:
    return Reply(name, text, signs=signs)


def absent(name: str, text: str, *negated: Sign) -> Reply:
    return Reply(name, text, negated=negated)


def mixed(name: str, text: str, signs: tuple[Sign, ...], negated: tuple[Sign, ...]) -> Reply:
    return Reply(name, text, signs=signs, negated=negated)


def harmless(name: str, text: str) -> Reply:
    return Reply(name, text)


URGENT = (
    # a collapsed lung: breathless, chest pain, pain on breathing in
    urgent("cant breath", "cant breath properly since this morning", BREATHING),
    urgent("curly apostrophe", "I can\u2019t breathe very well, is that normal??", BREATHING),
    urgent("short of breath", "feeling really short of breath after yesterdays session", BREATHING),
    urgent("hard to breathe", "its hard to breathe when i lie down", BREATHING),
    urgent("catch my breath", "can't catch my breath walking up the stairs 😟", BREATHING),
    urgent("chest hurts breathing in", "my chest hurts when i breathe in", BREATHING),
    urgent("pain in my chest", "sharp pain in my chest since last night", BREATHING),
    urgent("chest pain", "Chest pain on the right where you did my shoulder blade", BREATHING),
    urgent(
        "upper back and breath", "upper back pain and its hard to take a deep breath", BREATHING
    ),
    urgent(
        "hurts to breathe lol", "hurts to take a deep breath lol is that the needling", BREATHING
    ),
    urgent("breathing shallow", "breathing feels tight and shallow", BREATHING),
    urgent("breathless", "Im so breathless today, struggling to breathe on the stairs", BREATHING),
    urgent("tight chest", "tight chest since the appointment, bit worried", BREATHING),
    urgent("painful breath in", "shoulder blade is really painful when i breath in", BREATHING),
    urgent("out of breath", "been out of breath all morning n my back is killing me", BREATHING),
    urgent(
        "trouble breathing", "having trouble breathing since i got home from the clinic", BREATHING
    ),
    urgent(
        "difficulty breathing", "difficulty breathing this am, neck was needled yday", BREATHING
    ),
    urgent("laboured", "breathing is laboured and my back hurts where you needled", BREATHING),
    urgent("barely breathe", "i can barely breathe, can someone call me", BREATHING),
    urgent("back pain deep breath", "pain in my upper back when i take a deep breath", BREATHING),
    urgent("tight across chest", "its a bit tight across my chest when i lie down", BREATHING),
    # fainting and dizziness
    urgent("fainted", "i fainted in the car park after my appointment", FAINTING),
    urgent("passed out", "passed out for a sec when i got up off the sofa", FAINTING),
    urgent("dizzy", "felt really dizzy last night", FAINTING),
    urgent("stretched letters", "sooo dizzzzy today 😵", FAINTING),
    urgent("dizzey typo", "feeling a bit dizzey and sick", FAINTING),
    urgent("light headed", "bit light headed this morning", FAINTING),
    urgent("lightheaded", "Lightheaded when i stand up", FAINTING),
    urgent("room spinning", "the room was spinning when i stood up", FAINTING),
    urgent("blacked out", "i blacked out in the shower!!", FAINTING),
    urgent("came over faint", "came over all faint in the shop, had to sit down", FAINTING),
    urgent("nearly passed out", "nearly passed out on the bus home", FAINTING),
    urgent("woozy", "feeling woozy tbh", FAINTING),
    urgent("funny turn", "had a funny turn after, went all clammy", FAINTING),
    urgent("feel faint", "i feel faint every time i stand up", FAINTING),
    urgent("went white", "went white n had to lie down after, my husband said", FAINTING),
    # bleeding that does not stop
    urgent("still bleeding", "its still bleeding from where the needle went in", BLEEDING),
    urgent("wont stop", "the spot on my neck wont stop bleeding", BLEEDING),
    urgent("won't stop curly", "won\u2019t stop bleeding, what do i do", BLEEDING),
    urgent("a lot", "bleeding a lot from my hip", BLEEDING),
    urgent("through the plaster", "its bleeding through the plaster", BLEEDING),
    urgent("blood everywhere", "there's blood everywhere on my pillow", BLEEDING),
    urgent("bare bleeding", "its bleeding", BLEEDING),
    urgent("bleeding again", "the needle spot on my back is bleeding again", BLEEDING),
    urgent("keeps bleeding", "keeps bleeding every time i take the plaster off", BLEEDING),
    urgent("like mad", "bleedin like mad from my calf", BLEEDING),
    urgent("hasnt stopped", "bleeding hasnt stopped in 20 min", BLEEDING),
    urgent("not stopped british", "it's not stopped bleeding since last night", BLEEDING),
    urgent("a bit but wont stop", "bleeding a tiny bit but it won't stop", BLEEDING),
    urgent("a bit still", "hi, its bleeding a bit still? put a plaster on", BLEEDING),
    # infection
    urgent("fever", "I have a fever and the spot on my back is red", INFECTION),
    urgent("temperature", "running a temperature of 38.5 since last night", INFECTION),
    urgent("chills", "got the chills and feel rubbish", INFECTION),
    urgent("hot to touch", "area is red and hot to the touch", INFECTION),
    urgent("red streak", "theres a red streak going up my arm from the needle spot", INFECTION),
    urgent("spreading redness", "the redness is spreading", INFECTION),
    urgent("swollen", "hip is swollen where you needled", INFECTION),
    urgent("warm swelling", "bit of swelling and its warm to touch", INFECTION),
    urgent("pus", "theres pus coming out of one of the needle marks", INFECTION),
    urgent("oozing", "its oozing yellow stuff 🤢", INFECTION),
    urgent("infected", "i think its infected", INFECTION),
    urgent("feverish", "feeling feverish and shivery tonight", INFECTION),
    urgent("hot and swollen", "the spot on my shoulder has gone hot and swollen", INFECTION),
    urgent("typos", "temprature 38 and my neck is swolen", INFECTION),
    urgent("poorly feverish", "feeling poorly, bit feverish", INFECTION),
    urgent("weeping", "needle spot is weeping clear fluid", INFECTION),
    # new numbness, tingling, weakness
    urgent("gone numb", "my hand has gone numb", NERVES),
    urgent("numbness", "numbness in my fingers since the session", NERVES),
    urgent("tingling", "tingling down my arm", NERVES),
    urgent("tinglin", "tinglin in my foot all day", NERVES),
    urgent("pins and needles", "pins and needles in my left hand that wont go away", NERVES),
    urgent("pins n needles", "pins n needles in me leg", NERVES),
    urgent("weak arm", "my arm feels weak", NERVES),
    urgent("cant lift", "cant lift my arm above my head", NERVES),
    urgent("cant feel", "cant feel my fingers properly", NERVES),
    urgent("weakness", "weakness in my right leg, keep tripping", NERVES),
    urgent("electric shocks", "sort of electric shocks down my leg", NERVES),
    urgent("shooting and tingly", "shooting pain down my arm and its kind of tingly", NERVES),
    urgent("dropping things", "lost my grip, keep dropping things", NERVES),
    urgent("zap", "zap down my arm when you needled and its still tingly", NERVES),
    urgent("buzzing", "weird buzzing in my arm since yesterday", NERVES),
    # more than one sign
    urgent("dizzy and chest", "dizzy and my chest hurts", BREATHING, FAINTING),
    urgent("fainted then numb", "fainted and now my arm is numb", FAINTING, NERVES),
    urgent("fever swollen bleeding", "fever, swollen and bleeding", BLEEDING, INFECTION),
    urgent(
        "run-on",
        "hi its sarah from tuesday the needle bit on my back is still bleeding and i feel "
        "kind of faint and my chest hurts a bit when i breathe in dont know if thats normal",
        BREATHING,
        FAINTING,
        BLEEDING,
    ),
)

DOUBT = (  # pseudo-negations: "not sure" doubts a sign, "not great" complains; neither denies it
    urgent("not sure but", "not sure but i think im dizzy", FAINTING),
    urgent("not sure if normal", "not sure if its normal but my arm is numb", NERVES),
    urgent("dont know if", "dont know if this is normal, its still bleeding", BLEEDING),
    urgent("no idea", "no idea if its related but i cant catch my breath", BREATHING),
    urgent("cant tell", "cant tell if its infected or just bruised, its really swollen", INFECTION),
    urgent("not great", "not feeling great, really light headed", FAINTING),
    urgent("cant without", "i cant stand up without feeling dizzy", FAINTING),
    urgent("not 100%", "im not 100% sure but my fingers are tingling", NERVES),
    urgent("not great run-on", "not great tbh chest feels tight", BREATHING),
    urgent("never been this", "never been this dizzy in my life 😩", FAINTING),
)

NEGATED = (  # a sign mentioned only as absent is no emergency
    absent("not dizzy just sore", "not dizzy, just sore", FAINTING),
    absent("no chest pain", "no chest pain", BREATHING),
    absent("didnt faint", "didnt faint or anything, just tired", FAINTING),
    absent("without fever", "without any fever", INFECTION),
    absent("no numbness or tingling", "no numbness or tingling, just achy", NERVES),
    absent("not bleeding anymore", "not bleeding anymore 👍", BLEEDING),
    absent("dont think infected", "i dont think its infected", INFECTION),
    absent("no no no", "no swelling, no redness, no fever", INFECTION),
    absent("havent felt dizzy", "havent felt dizzy at all", FAINTING),
    absent("no shortness of breath", "i dont have any shortness of breath", BREATHING),
    absent("never passed out", "never passed out, a bit tired tho", FAINTING),
    absent("isnt swollen", "isnt swollen or hot", INFECTION),
    absent("no pins and needles", "no pins and needles today 👍", NERVES),
    absent("hasnt bled", "hasnt bled since", BLEEDING),
    absent("no fever no chills", "No fever no chills", INFECTION),
    absent("no pain breathing in", "breathing is fine, no pain when i breathe in", BREATHING),
    absent("didnt get dizzy", "didnt get dizzy this time!! 🙌", FAINTING),
    absent("dont feel faint", "I don\u2019t feel faint anymore, thanks", FAINTING),
    absent("no more tingling", "no more tingling in my hand", NERVES),
    absent("free of fever", "free of fever all week", INFECTION),
    absent("no bleeding", "no bleeding at all, just a little bruise", BLEEDING),
    absent("no temp", "no temp, no swelling, all good", INFECTION),
    absent(
        "checklist answer",
        "Hi! shoulder is v sore today (about a 5) but no numbness or anything. See you Thursday",
        NERVES,
    ),
    absent(
        "headache no fever", "hiya, bit of a headache & neck stiff. no fever. normal?", INFECTION
    ),
    absent("no bleeding or bruising", "i didn't have any bleeding or bruising", BLEEDING),
    absent("did not pass out", "I did not pass out.", FAINTING),
    absent("doesnt look infected", "doesnt look infected to me", INFECTION),
    absent("dizziness or fainting", "didnt have any dizziness or fainting", FAINTING),
)

MIXED = (  # a negated sign beside an affirmed one: the affirmed one makes it urgent
    mixed("no fever, breath", "no fever but i can't catch my breath", (BREATHING,), (INFECTION,)),
    mixed("not dizzy, numb", "not dizzy but my hand is numb", (NERVES,), (FAINTING,)),
    mixed("sentences", "no chest pain. feeling faint though", (FAINTING,), (BREATHING,)),
    mixed(
        "didnt faint, bleeding", "didnt faint, but the bleeding wont stop", (BLEEDING,), (FAINTING,)
    ),
    mixed("however", "no numbness however the area is red and swollen", (INFECTION,), (NERVES,)),
    mixed("run-on subject", "no fever im dizzy though", (FAINTING,), (INFECTION,)),
    mixed("tho", "not short of breath, tingling in my arm tho", (NERVES,), (BREATHING,)),
    mixed(
        "list then sign",
        "no redness or swelling, the bleeding wont stop",
        (BLEEDING,),
        (INFECTION,),
    ),
    mixed("emoji ends clause", "no temp 🙂 bit dizzy tho", (FAINTING,), (INFECTION,)),
    mixed("lol ends clause", "didnt pass out lol but my chest hurts", (BREATHING,), (FAINTING,)),
    mixed("one sign both ways", "i havent fainted but still feel light headed", (FAINTING,), ()),
)

HARMLESS = (  # normal aftercare and everyday texts: never an emergency
    harmless("phone number", "what's your phone number?"),
    harmless("number changed", "my number changed, its 07700 900123 now"),
    harmless("numbers", "numbers 555-0142 and 555-0199 are both mine"),
    harmless("bruise", "bruise on my shoulder, is that ok"),
    harmless("sore 3/10", "bit sore today 3/10"),
    harmless("twitched", "muscle twitched a bit last night lol"),
    harmless("move appointment", "can I move my appointment to thursday?"),
    harmless("running late", "running late, 5 min"),
    harmless("needles fine", "the needles were fine"),
    harmless("thank you", "thank you!"),
    harmless("feeling better", "thanks so much, feeling loads better 😊"),
    harmless("little bleeding", "a little bleeding when i took the plaster off but its stopped"),
    harmless("spot of blood", "tiny spot of blood on my shirt, no biggie"),
    harmless("tight calf", "calf feels tight but ok"),
    harmless("tired", "so tired after the session, slept 10 hours"),
    harmless("achy", "achy for a day or two like you said"),
    harmless("very sore", "very sore neck today, 7/10"),
    harmless("faint bruise", "theres a faint bruise on my lower back"),
    harmless("book massage", "can i book a massage with the dry needling next week"),
    harmless("see you", "see you tuesday x"),
    harmless("gym", "is it ok to go to the gym tomorrow?"),
    harmless("bled a little", "bled a little bit when the needle came out, fine now"),
    harmless("stiff neck", "stiff neck this morning, cant turn my head much"),
    harmless("parking", "where do i park?"),
    harmless("blood pressure", "my blood pressure tablets changed, should i tell the physio"),
    harmless("stop", "STOP"),
    harmless("confirmed", "yes confirmed 👍"),
    harmless("pin number", "whats the pin number for the side door"),
    harmless("bruised", "sore and a bit bruised but happy with it"),
    harmless("bleeding stopped", "im fine, the bleeding stopped straight away"),
    harmless("passed test", "passed my driving test lol"),
    harmless("temp job", "my temp job starts monday so can we do evenings"),
    harmless("hot shower", "hot shower helped loads"),
    harmless("fly", "will it be ok to fly next week?"),
    harmless("twitching", "leg was twitching a lot after, is that the needling?"),
    harmless("stiff and achy", "back feels stiff and achy, like after the gym"),
    harmless("score", "4"),
    harmless("tight shoulders", "shoulders still tight but way better than before"),
    harmless("colour bruise", "the bruise has gone a yellowy colour"),
    harmless("barely any bleeding", "barely any bleeding, just a dot on the plaster"),
    harmless("swelling gone down", "the swelling has gone down now, thanks"),
    harmless("bit of bleeding normal", "is a bit of bleeding normal? there was a drop on my top"),
)

CORPUS = (*URGENT, *DOUBT, *NEGATED, *MIXED, *HARMLESS)
